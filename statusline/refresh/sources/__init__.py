"""Where server numbers come from. Each source returns a ``UsageReading`` or raises FetchError."""

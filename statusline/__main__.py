import sys

from statusline.cli import main

sys.exit(main())

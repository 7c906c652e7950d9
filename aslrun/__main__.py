"""python -m aslrun"""

from aslrun.cli.main import main

main()

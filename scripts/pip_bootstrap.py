"""Stand-in for the pip bootstrap script ansible-test downloads into its cache.

ansible-test fetches its get-pip script from a host outside the package index. This script does
the same job with what every CPython has: ensurepip installs a pip wheel from the standard
library, then that pip installs the requested packages (e.g. pip==24.2) from the package index.
Arguments are those of get-pip.py: pip install options and packages, plus --no-setuptools and
--no-wheel, which only mean "do not add them" and are dropped here.
"""

from __future__ import annotations

import subprocess
import sys


def main() -> None:
    """Bootstrap pip into the running interpreter, then install the requested packages."""
    args = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
    subprocess.run([sys.executable, "-m", "ensurepip", "--default-pip"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([sys.executable, "-m", "pip", "install", *args], check=True)


if __name__ == "__main__":
    main()

"""Training recipes shipped with the package (JSON): ``cu-emt`` and ``cu-ripple``."""

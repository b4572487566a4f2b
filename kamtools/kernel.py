"""Install the ``kamtools`` Jupyter kernel into the current environment.

Run as ``python -m kamtools.kernel`` (``make install`` does). The runner also checks the
kernel before each run and installs it when it is missing or points at another interpreter.
"""

from __future__ import annotations

from kamtools.runner import KERNEL_NAME, ensure_kernel

if __name__ == "__main__":
    ensure_kernel()
    print(f"Jupyter kernel '{KERNEL_NAME}' ready.")

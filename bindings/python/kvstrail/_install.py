"""Where meson installed libkvstrail (replaced at install time).

This copy, in the source tree, records nothing: the package then finds the
library through $KVSTRAIL_LIBRARY, find_library or the SONAME. `meson
install` installs a copy written from _install.py.in instead, with the
libdir of that installation (absolute, and relative to the installed
package so that a tree moved as a whole, or staged with DESTDIR, works).
"""

from typing import Optional

#: Absolute libdir of the installation, or None.
LIBDIR: Optional[str] = None

#: The same libdir relative to this package's directory, or None.
LIBDIR_FROM_PACKAGE: Optional[str] = None

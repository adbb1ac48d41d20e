"""Declaring the permission a field needs: ``permission_classes=[requires(Permission.X)]``.

The implementation lives in ``plugins/gqltypes.py`` so that plugins declare permissions the
same way.
"""

from plugins.gqltypes import requires

__all__ = ["requires"]

"""The desktop application (PySide6 widgets and VTK views). The only package allowed to import Qt or VTK."""

"""The ``neural-render`` command line: one module per subcommand, each with ``add_parser`` and ``run``.

Subcommands run the worker's job functions directly in this process (no Blender, no subprocess),
except those that need Blender, which import the ``bpy`` module.
"""

"""``ilbirs.api``: the edges of Ilbirs, where people and programs reach it.

The command line (``ilbirs.api.cli``) lives here today; the HTTP app (FastAPI) joins it.
Everything here calls ``ilbirs.graph``, never a store driver. Importing this package stays
cheap: the CLI must start fast.
"""

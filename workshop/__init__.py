"""Barrios workshop app: an interactive page for teaching, on Mesa's visualization stack
(``SpaceRenderer``) and Solara, in Spanish and English.

``barrios app`` starts it (``workshop.server.serve``). The page is ``workshop.app.Page``;
everything it computes without a browser (scenario look-up, input validation, map layers,
the budget rule, comparisons) lives in ``workshop.core`` and ``workshop.budget`` so it can
be tested directly.
"""

"""Third-party browser files the package ships, each with its licence (see README.md here):
Leaflet for the maps, and Swagger UI for the console's API page."""

from __future__ import annotations

import importlib.resources
from importlib.resources.abc import Traversable

#: Leaflet's ``leaflet.js``, ``leaflet.css`` and ``images/``.
LEAFLET: Traversable = importlib.resources.files(__name__) / "leaflet"

#: Swagger UI's ``swagger-ui-bundle.js``, ``swagger-ui.css`` and ``favicon.png``.
SWAGGER_UI: Traversable = importlib.resources.files(__name__) / "swagger"

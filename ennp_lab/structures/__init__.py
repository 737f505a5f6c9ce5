"""Curated structures (:mod:`.build`) and the only ASE ↔ phonopy converters (:mod:`.convert`)."""

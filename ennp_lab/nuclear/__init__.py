"""Nucleon–nucleon forces: two-spin operators, reference potentials, the deuteron (MeV, fm,
kept inside this package; nothing nuclear reaches the core)."""

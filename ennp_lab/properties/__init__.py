"""Physical properties computed from any ASE calculator (ENNP or reference).

Each module owns one concept: :mod:`.hessian` (second derivatives, any calculator),
:mod:`.modes` (normal modes), :mod:`.stability` (λ_max and the Verlet time-step limit),
:mod:`.md` (molecular dynamics and time-step scans), :mod:`.phonons` (phonopy),
:mod:`.elasticity` (C_ijkl and directional moduli), :mod:`.surfaces` (γ(hkl), γ(n), Wulff).
Import from the modules; this package does not import them eagerly.
"""

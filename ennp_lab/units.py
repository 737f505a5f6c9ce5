"""Unit constants. ennp_lab works in ASE units (eV, Å, amu, ``ase.units.fs``).

Conversions to display units (GPa, THz, cm⁻¹, meV) happen only at the display edge
(``viz``/``widgets``/reports); a variable holding such a value says so in its name
(``c_gpa``, ``freq_thz``).
"""

from __future__ import annotations

from ase import units as _u

#: 1 eV/Å³ expressed in GPa (multiply a stress in eV/Å³ by this to get GPa).
EV_PER_A3_TO_GPA: float = 1.0 / _u.GPa
#: 1 eV/Å² expressed in J/m² (surface energies).
EV_PER_A2_TO_J_PER_M2: float = _u._e * 1e20
#: 1 e/Å² (polarization, piezoelectric stress constants) expressed in C/m².
E_PER_A2_TO_C_PER_M2: float = _u._e * 1e20
#: 1 eV expressed in meV.
EV_TO_MEV: float = 1000.0
#: femtoseconds in a picosecond (times are kept in fs)
FS_PER_PS: float = 1000.0
#: 1 TPa expressed in GPa (a compressibility in 1/GPa times this is in 1/TPa).
GPA_PER_TPA: float = 1000.0
#: Coulomb constant e²/(4πε0) in eV·Å.
COULOMB_EV_A: float = 1.0 / (4.0 * 3.141592653589793 * _u._eps0) * _u._e / 1e-10
#: ASE's femtosecond (time unit conversion: ``dt_ase = dt_fs * FS``).
FS: float = _u.fs

#: An angular frequency ω in ASE units (rad per ASE time unit, ω² in eV/(Å² amu))
#: expressed as an ordinary frequency ν = ω/2π in THz.
OMEGA_TO_THZ: float = _u.fs * 1.0e3 / (2.0 * 3.141592653589793)
#: 1 THz expressed in cm⁻¹ (ν/c).
THZ_TO_CM1: float = 1.0e12 / (_u._c * 100.0)

__all__ = ["EV_PER_A3_TO_GPA", "EV_PER_A2_TO_J_PER_M2", "E_PER_A2_TO_C_PER_M2", "EV_TO_MEV", "GPA_PER_TPA", "FS_PER_PS", "COULOMB_EV_A", "FS", "OMEGA_TO_THZ", "THZ_TO_CM1"]

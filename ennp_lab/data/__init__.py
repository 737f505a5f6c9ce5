"""Reference data: generators labelled by ASE calculators, extxyz I/O and splits."""

from ennp_lab.data.generators import (
    EMT_ELEMENTS,
    emt_lattice_constant,
    fcc_lattice_constant,
    generate_emt_dataset,
    generate_emt_test_set,
    label_frames,
    md_frames,
    rattled_frames,
    slab_frames,
    strained_frames,
    vacancy_frames,
    xtb_molecule_frames,
)
from ennp_lab.data.io import frame_labels, read_frames, split_frames, write_frames

__all__ = [
    "EMT_ELEMENTS",
    "emt_lattice_constant",
    "fcc_lattice_constant",
    "generate_emt_dataset",
    "generate_emt_test_set",
    "label_frames",
    "md_frames",
    "rattled_frames",
    "slab_frames",
    "strained_frames",
    "vacancy_frames",
    "xtb_molecule_frames",
    "frame_labels",
    "read_frames",
    "split_frames",
    "write_frames",
]

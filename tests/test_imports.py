"""The core never imports widget or plotting libraries (DESIGN.md)."""

import subprocess
import sys


def test_import_ennp_lab_loads_no_ui_library():
    code = (
        "import sys, ennp_lab, ennp_lab.testing, ennp_lab.data, ennp_lab.learning, ennp_lab.pretrained, ennp_lab.cli\n"
        "import ennp_lab.properties.hessian, ennp_lab.properties.modes, ennp_lab.properties.stability\n"
        "import ennp_lab.properties.phonons, ennp_lab.properties.md, ennp_lab.properties.elasticity\n"
        "import ennp_lab.properties.surfaces, ennp_lab.learning.tensors, ennp_lab.models.elastic_head\n"
        "import ennp_lab.symmetry, ennp_lab.models.naive, ennp_lab.models.chirality, ennp_lab.data.chiral\n"
        "import ennp_lab.properties.chirality, ennp_lab.learning.heads, ennp_lab.learning.ensemble, ennp_lab.learning.calibration\n"
        "import ennp_lab.learning.active\n"
        "import ennp_lab.data.reference, ennp_lab.structures.build\n"
        "bad = [m for m in ('ipywidgets', 'plotly', 'nglview', 'anywidget', 'IPython.display') if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"import ennp_lab loaded UI libraries: {out.stdout.strip()}"


def test_public_api():
    import ennp_lab

    for name in ennp_lab.__all__:
        assert hasattr(ennp_lab, name), name
    assert ennp_lab.__version__

"""The core never imports widget or plotting libraries (DESIGN.md)."""

import subprocess
import sys


def test_import_ennp_lab_loads_no_ui_library():
    code = (
        "import sys, ennp_lab, ennp_lab.testing, ennp_lab.data, ennp_lab.learning, ennp_lab.pretrained, ennp_lab.cli\n"
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

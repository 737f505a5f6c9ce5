"""Every model class of the package, and two toy models with optional inputs, pass the
shipped suite (``ennp_lab.testing.ModelSuite``) with no model-specific test code."""

from __future__ import annotations

from ennp_lab.models.chirality import build_chirality_model
from ennp_lab.models.compose import SumModel
from ennp_lab.models.elastic_head import build_elastic_model
from ennp_lab.models.ensemble import Ensemble
from ennp_lab.testing import ModelSuite, tiny_model

from tests.models.toys import FieldToy, MomentToy


class TestENNP(ModelSuite):
    def build_model(self):
        return tiny_model(["Cu", "Au"], seed=1, heads={"tensor": "0e+1o+2e"})


class TestEnsemble(ModelSuite):
    def build_model(self):
        return Ensemble([tiny_model(["Cu", "Au"], seed=k, heads={"q": "0e"}) for k in range(2)])


class TestChiralityModel(ModelSuite):
    def build_model(self):
        return build_chirality_model(["H", "C"], channels=2, seed=0)


class TestElasticHead(ModelSuite):
    def build_model(self):
        return build_elastic_model(["Cu"], channels=2, layers=1, seed=0)


class TestFieldToy(ModelSuite):
    def build_model(self):
        return FieldToy(seed=0)


class TestMomentToy(ModelSuite):
    def build_model(self):
        return MomentToy(seed=1)


class TestSumOfENNPAndFieldToy(ModelSuite):
    def build_model(self):
        return SumModel([tiny_model(["Cu", "Au"], seed=2), FieldToy(cutoff=3.0, seed=3)])

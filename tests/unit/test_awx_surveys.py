# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWX surveys offer the products the catalog has: its product directories, no more, no less."""

from __future__ import annotations

import json
from pathlib import Path

from ansible_collections.vdi.firewall.plugins.plugin_utils._catalog import load_catalog

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "awx" / "job_templates.json"


def test_every_product_question_offers_the_catalog_s_products():
    products = sorted(load_catalog().products)
    data = json.loads(TEMPLATES.read_text(encoding="utf-8"))
    questions = [(template["name"], question) for template in data["job_templates"]
                 for question in (template.get("survey_spec") or {}).get("spec", ())
                 if question["variable"] == "vdi_firewall_survey_product"]
    assert questions
    for name, question in questions:
        assert question["choices"] == products, (
            f"{TEMPLATES.relative_to(ROOT)}: '{name}' offers {question['choices']}; the catalog's products "
            f"(its directories with a product.yml) are {products}: set the choices to them")

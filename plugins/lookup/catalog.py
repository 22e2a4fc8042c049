# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Lookup plugin returning the validated vdi.firewall port catalog."""

from __future__ import annotations

DOCUMENTATION = r"""
name: catalog
author: vdi.firewall contributors (@vdi-firewall)
short_description: The validated vendor port catalog (Citrix, Microsoft RDS, Parallels RAS)
version_added: 1.0.0
description:
  - Loads the port catalog shipped with the collection under C(vars/catalog/), validates it and
    returns it as one dictionary. Each product is a directory C(vars/catalog/<product>/) of data
    (C(product.yml), C(components.yml), C(features.yml), C(flows.yml), C(supplements.yml)), checked
    against the JSON Schemas of C(vars/catalog/schema/).
  - Validation fails with an error naming the catalog file and the entry at fault (unknown
    component, port outside 1-65535, unknown protocol, duplicate id, flow without reference,
    unknown feature).
  - Symbolic ports (for example C(dynamic_rpc)) are resolved to their documented defaults in each
    flow's C(ports); the raw values stay in C(port_specs).
options:
  _terms:
    description:
      - Products to return flows for (the catalog's product directories).
      - All products when none is given. Components and shared infrastructure are always complete.
    type: list
    elements: str
    required: false
  catalog_dir:
    description:
      - A catalog directory (one subdirectory per product) to load instead of the collection's own
        C(vars/catalog/).
    type: path
    required: false
"""

EXAMPLES = r"""
- name: Count the Citrix flows
  ansible.builtin.debug:
    msg: "{{ lookup('vdi.firewall.catalog', 'citrix').flows | length }}"

- name: Every flow that reaches one component (wanted_component - a component id of the catalog)
  ansible.builtin.debug:
    msg: "{{ lookup('vdi.firewall.catalog').flows | selectattr('to', 'equalto', wanted_component) }}"

- name: Validate a catalog of your own
  ansible.builtin.set_fact:
    my_catalog: "{{ lookup('vdi.firewall.catalog', catalog_dir='files/catalog') }}"
"""

RETURN = r"""
_raw:
  description: The catalog (one dictionary).
  type: list
  elements: dict
  contains:
    products:
      description: Product id to title.
      type: dict
    shared:
      description: Shared infrastructure (a product directory whose C(product.yml) says C(shared) true) id to title.
      type: dict
    documents:
      description:
        - Source document (seed file name) to title, url, product_version, date and language.
        - A value the document does not give is null.
      type: dict
    components:
      description: Component id to name, aliases and product.
      type: dict
    features:
      description: Feature id to description, default and product.
      type: dict
    symbolic_ports:
      description: Named non-numeric ports with their default values.
      type: dict
    flows:
      description:
        - Every flow with id, product, from, to, protocols, ports (resolved, numbers and a-b
          ranges), port_specs (as written), description, section, references, feature (a name, or
          C(all)/C(any)/C(not) of them), service,
          to_addresses, from_addresses and note.
        - The layer of each flow - C(document) for the vendor documents' rows, C(supplement) for the
          supplement layer (each product's C(supplements.yml)) - with C(supplement), C(reason) and
          C(corrects) (the document rows a supplement corrects). A supplement's references include
          public ones (C(title) with C(url) and/or a vendor article C(id)).
      type: list
      elements: dict
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.vdi.firewall.plugins.plugin_utils._ansible_errors import reraise_as
from ansible_collections.vdi.firewall.plugins.plugin_utils._catalog import catalog_as_dict, load_catalog


class LookupModule(LookupBase):
    """Return the validated catalog."""

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        products = [str(term) for term in terms] or None
        with reraise_as(AnsibleLookupError, "vdi.firewall.catalog"):
            catalog = load_catalog(self.get_option("catalog_dir"), products)
            return [catalog_as_dict(catalog)]

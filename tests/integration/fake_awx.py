# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""An in-memory AWX API (/api/v2/) that the awx.awx modules can talk to, for tests without a controller.

It keeps objects per endpoint, answers the list filters the modules send (name, identifier, type,
organization, or__id/or__name), creates and updates objects, stores surveys (validated as AWX's
survey_spec endpoint validates them), links workflow nodes and creates approval templates. Every
request is recorded. It speaks only to a client that sends the expected bearer token.
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

API = "/api/v2/"
VERSION = "24.6.1"
TYPES = {
    "organizations": "organization",
    "inventories": "inventory",
    "projects": "project",
    "execution_environments": "execution_environment",
    "job_templates": "job_template",
    "workflow_job_templates": "workflow_job_template",
    "workflow_job_template_nodes": "workflow_job_template_node",
    "workflow_approval_templates": "workflow_approval_template",
}
UNIFIED = ("job_templates", "workflow_job_templates", "workflow_approval_templates")
NODE_LINKS = ("success_nodes", "failure_nodes", "always_nodes")
SURVEY_TYPES = {"text": str, "textarea": str, "password": str, "multiplechoice": str, "multiselect": str,
                "integer": int, "float": (float, int)}


def survey_error(spec) -> str | None:
    """Why AWX's survey_spec endpoint would refuse `spec` (the rules of its validation), or None."""
    if not isinstance(spec, dict):
        return "survey spec is not an object"
    for field, kind in (("name", str), ("description", str), ("spec", list)):
        if not isinstance(spec.get(field), kind):
            return f"Field '{field}' is missing from survey spec or has the wrong type."
    if not spec["spec"]:
        return "'spec' doesn't contain any items."
    variables = set()
    for index, item in enumerate(spec["spec"]):
        if not isinstance(item, dict):
            return f"Survey question {index} is not a json object."
        for field in ("type", "question_name", "variable", "required"):
            if field not in item:
                return f"'{field}' missing from survey question {index}"
            if not isinstance(item[field], bool if field == "required" else str):
                return f"'{field}' in survey question {index} has the wrong type."
        if item["variable"] in variables:
            return f"'variable' '{item['variable']}' duplicated in survey question {index}."
        variables.add(item["variable"])
        kind = item["type"]
        if kind not in SURVEY_TYPES:
            return f"'{kind}' in survey question {index} is not an allowed question type."
        default = item.get("default", "")
        if default != "" and not isinstance(default, SURVEY_TYPES[kind]):
            return f"Default value {default} in survey question {index} has the wrong type."
        for key in ("min", "max"):
            if item.get(key) is not None and not isinstance(item[key], int):
                return f"The {key} limit in survey question {index} expected to be integer."
        if kind in ("multiplechoice", "multiselect"):
            if "choices" not in item:
                return f"Survey question {index} of type {kind} must specify choices."
            choices = item["choices"].splitlines() if isinstance(item["choices"], str) else item["choices"]
            defaults = default.splitlines() if isinstance(default, str) else default
            if kind == "multiplechoice" and len(defaults) > 1:
                return "Multiple Choice (Single Select) can only have one default value."
            if any(value not in choices for value in defaults):
                return "Default choice must be answered from the choices listed."
    return None


class FakeAWX:
    """The controller's state and an HTTP server in front of it."""

    def __init__(self, token: str = "fake-awx-token"):
        self.token = token
        self.objects: dict[str, dict[int, dict]] = {name: {} for name in TYPES}
        self.surveys: dict[tuple[str, int], dict] = {}
        self.links: dict[tuple[int, str], list[int]] = {}
        self.requests: list[tuple[str, str, object]] = []
        self._ids = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()

    # the controller's state

    def add(self, collection: str, **fields) -> dict:
        """Create an object as a POST would, and return it."""
        self._ids += 1
        item = dict(fields, id=self._ids, type=TYPES[collection], url=f"{API}{collection}/{self._ids}/")
        related = {}
        if collection in ("job_templates", "workflow_job_templates"):
            related["survey_spec"] = f"{item['url']}survey_spec/"
        if collection == "workflow_job_template_nodes":
            related.update({link: f"{item['url']}{link}/" for link in NODE_LINKS})
        item["related"] = related
        self.objects[collection][item["id"]] = item
        return item

    def named(self, collection: str, name: str) -> dict:
        (item,) = [item for item in self.objects[collection].values() if item.get("name") == name]
        return item

    def survey(self, collection: str, name: str) -> dict:
        return self.surveys.get((collection, self.named(collection, name)["id"]), {})

    def nodes(self, workflow: str) -> dict[str, dict]:
        """The workflow's nodes by identifier, each with its template's name and its linked identifiers."""
        workflow_id = self.named("workflow_job_templates", workflow)["id"]
        nodes = [node for node in self.objects["workflow_job_template_nodes"].values()
                 if node["workflow_job_template"] == workflow_id]
        by_id = {node["id"]: node for node in nodes}
        result = {}
        for node in nodes:
            template = self._unified().get(node.get("unified_job_template"))
            result[node["identifier"]] = dict(
                node, template=template and template["name"], template_type=template and template["type"],
                **{link: sorted(by_id[other]["identifier"] for other in self.links.get((node["id"], link), []))
                   for link in NODE_LINKS})
        return result

    def _unified(self) -> dict[int, dict]:
        return {key: item for collection in UNIFIED for key, item in self.objects[collection].items()}

    def _listing(self, collection: str, query: dict) -> list[dict]:
        items = self._unified().values() if collection == "unified_job_templates" else self.objects[collection].values()
        either = {key[4:]: value for key, value in query.items() if key.startswith("or__")}
        wanted = {key: value for key, value in query.items() if not key.startswith("or__") and key != "page_size"}

        def matches(item):
            if "type" in wanted and collection == "unified_job_templates":
                if item["type"] != wanted["type"]:
                    return False
            for key, value in wanted.items():
                if key != "type" and str(item.get(key)) != value:
                    return False
            return not either or any(str(item.get(key)) == value for key, value in either.items())

        return [item for item in items if matches(item)]

    # HTTP

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _send(self, status: int, body=None):
                payload = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("X-API-Product-Name", "AWX")
                self.send_header("X-API-Product-Version", VERSION)
                if body is not None:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _handle(self, method: str):
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                data = json.loads(self.rfile.read(length) or b"null") if length else None
                with fake._lock:
                    fake.requests.append((method, parts.path, data if data is not None else dict(parse_qsl(parts.query))))
                    if self.headers.get("Authorization") != f"Bearer {fake.token}":
                        return self._send(401, {"detail": "Authentication credentials were not provided."})
                    status, body = fake._route(method, parts.path, dict(parse_qsl(parts.query)), data)
                return self._send(status, body)

            def do_GET(self):  # noqa: N802
                self._handle("GET")

            def do_POST(self):  # noqa: N802
                self._handle("POST")

            def do_PATCH(self):  # noqa: N802
                self._handle("PATCH")

            def do_DELETE(self):  # noqa: N802
                self._handle("DELETE")

        return Handler

    def _route(self, method: str, path: str, query: dict, data):  # pylint: disable=too-many-return-statements
        match = re.fullmatch(r"/api/v2/([a-z_]+)/(?:(\d+)/(?:([a-z_]+)/)?)?", path)
        if not match:
            return 404, {"detail": "Not found."}
        collection, key, sub = match.group(1), match.group(2), match.group(3)
        if collection not in TYPES and collection != "unified_job_templates":
            return 404, {"detail": "Not found."}
        if key is None:
            if method == "GET":
                results = self._listing(collection, query)
                return 200, {"count": len(results), "next": None, "previous": None, "results": results}
            if method == "POST" and collection in TYPES:
                return self._create(collection, data or {})
            return 405, {"detail": f"Method {method} not allowed."}
        store = self._unified() if collection == "unified_job_templates" else self.objects[collection]
        item = store.get(int(key))
        if item is None:
            return 404, {"detail": "Not found."}
        if sub is None:
            if method == "GET":
                return 200, item
            if method == "PATCH":
                item.update(data or {})
                return 200, item
            if method == "DELETE":
                del self.objects[collection][item["id"]]
                return 204, None
            return 405, {"detail": f"Method {method} not allowed."}
        if sub == "survey_spec":
            if method == "GET":
                return 200, self.surveys.get((collection, item["id"]), {})
            if method == "POST":
                error = survey_error(data)
                if error:
                    return 400, {"error": error}
                self.surveys[(collection, item["id"])] = data
                return 200, None
            if method == "DELETE":
                self.surveys.pop((collection, item["id"]), None)
                return 200, None
        if collection == "workflow_job_template_nodes" and sub == "create_approval_template" and method == "POST":
            approval = self.add("workflow_approval_templates", **{field: value for field, value in (data or {}).items()
                                                                  if field in ("name", "description", "timeout")})
            item["unified_job_template"] = approval["id"]
            item["related"]["unified_job_template"] = approval["url"]
            return 201, approval
        if collection == "workflow_job_template_nodes" and sub in NODE_LINKS:
            linked = self.links.setdefault((item["id"], sub), [])
            if method == "GET":
                results = [self.objects["workflow_job_template_nodes"][other] for other in linked]
                return 200, {"count": len(results), "next": None, "previous": None, "results": results}
            if method == "POST":
                other = int(data["id"])
                if other not in self.objects["workflow_job_template_nodes"]:
                    return 400, {"msg": f"no node {other}"}
                if data.get("disassociate"):
                    linked.remove(other)
                elif other not in linked:
                    linked.append(other)
                return 204, None
        return 404, {"detail": "Not found."}

    def _create(self, collection: str, data: dict):
        name = data.get("name")
        if collection != "workflow_job_template_nodes":
            if not name:
                return 400, {"name": ["This field is required."]}
            if any(item.get("name") == name and item.get("organization") == data.get("organization")
                   for item in self.objects[collection].values()):
                return 400, {"__all__": [f"{TYPES[collection]} with this Name and Organization already exists."]}
        if collection == "job_templates":
            project = self.objects["projects"].get(data.get("project"))
            if project is None:
                return 400, {"project": ["This field is required."]}
            if data.get("playbook") not in project.get("playbooks", ()):
                return 400, {"playbook": ["Playbook not found for project."]}
            if data.get("inventory") is not None and data["inventory"] not in self.objects["inventories"]:
                return 400, {"inventory": ["Invalid pk - object does not exist."]}
        if collection == "workflow_job_template_nodes":
            if data.get("workflow_job_template") not in self.objects["workflow_job_templates"]:
                return 400, {"workflow_job_template": ["This field is required."]}
        return 201, self.add(collection, **data)

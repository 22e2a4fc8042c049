# Copyright (c) vdi.firewall contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal: the preamble the collection's action plugins share. Not a public API.

Internal to vdi.firewall, not a public interface: it may change in any release.

An action plugin sets ``ARGUMENT_SPEC`` (and ``ERRORS`` when it catches more than
:class:`VdiFirewallError`) and implements ``act``. ``run`` does the rest: ``ActionBase.run``, the
validation of the task's arguments against the spec, and every caught error as a failed result whose
message names the plugin (``vdi.firewall.<plugin>: <error>``).
"""

from __future__ import annotations

from typing import Any, ClassVar

from ansible.plugins.action import ActionBase

from ansible_collections.vdi.firewall.plugins.module_utils._errors import VdiFirewallError


class VdiActionBase(ActionBase):
    """An action plugin of vdi.firewall that runs on the controller only."""

    TRANSFERS_FILES = False
    _requires_connection = False

    ARGUMENT_SPEC: ClassVar[dict[str, Any]] = {}
    ERRORS: ClassVar[tuple[type[Exception], ...]] = (VdiFirewallError,)

    @property
    def plugin_name(self) -> str:
        """vdi.firewall.<plugin>, from the module that defines the action (plugins/action/<plugin>.py)."""
        return f"vdi.firewall.{type(self).__module__.rsplit('.', 1)[-1]}"

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        _validation, args = self.validate_argument_spec(argument_spec=self.ARGUMENT_SPEC)
        try:
            return self.act(result, args, task_vars)
        except self.ERRORS as exc:
            result.update(failed=True, msg=f"{self.plugin_name}: {exc}")
            return result

    def act(self, result: dict[str, Any], args: dict[str, Any], task_vars: dict[str, Any]) -> dict[str, Any]:
        """The plugin's work on the validated ``args``: update and return ``result``."""
        raise NotImplementedError

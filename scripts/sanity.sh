#!/usr/bin/env bash
# ansible-test sanity for the collection.
# - It needs the collection at .../ansible_collections/vdi/firewall as a real directory outside any
#   git checkout (ansible-test asks git which files exist): the files git knows (tracked and new,
#   not ignored) are copied there.
# - Its test requirements (pinned by ansible-test itself) go into a virtual environment of their
#   own, .build/sanity-venv, so that they never clash with the tool chain in .venv.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/.build/sanity-venv"
core=$(grep -E '^ansible-core==' "$root/requirements/dev.txt")
if [ ! -x "$venv/bin/ansible-test" ] || ! "$venv/bin/pip" freeze 2>/dev/null | grep -qx "$core"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --upgrade pip
  "$venv/bin/pip" install --quiet "$core"
fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
work="$tmp/ansible_collections/vdi/firewall"
mkdir -p "$work"
(cd "$root" && git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
  [ -e "$f" ] && printf '%s\0' "$f"; done | tar --null -T - -cf -) | tar -xf - -C "$work"
cd "$work"
# ansible-test bootstraps pip in each of its virtual environments with a script it downloads from
# outside the package index; give it an equivalent in its cache.
pip_version=$(sed -n "s/^ *pip='\([0-9.]*\)',$/\1/p" "$venv"/lib/python3*/site-packages/ansible_test/_internal/python_requirements.py)
mkdir -p "$HOME/.ansible/test/cache"
cp "$root/scripts/pip_bootstrap.py" "$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
export PATH="$venv/bin:$PATH"
ansible-test sanity --requirements --python "$("$venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" "$@"

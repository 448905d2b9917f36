#!/usr/bin/env bash
# Print the path of a working Python 3.10 interpreter (Rasa 3.6 needs < 3.11).
# Order: $PYTHON, python3.10 on the PATH, pyenv's 3.10. A pyenv shim for 3.10
# exists on machines where `pyenv global` is another version, and fails when
# run, so every candidate is run before it is trusted.
set -u

works() {
  "$1" -c 'import sys, venv; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' >/dev/null 2>&1
}

candidates=()
[ -n "${PYTHON:-}" ] && candidates+=("$PYTHON")
command -v python3.10 >/dev/null 2>&1 && candidates+=("$(command -v python3.10)")
if command -v pyenv >/dev/null 2>&1; then
  prefix=$(pyenv prefix 3.10 2>/dev/null | head -n 1)
  [ -n "$prefix" ] && candidates+=("$prefix/bin/python3.10")
  for dir in "$(pyenv root 2>/dev/null)"/versions/3.10*; do
    [ -x "$dir/bin/python3.10" ] && candidates+=("$dir/bin/python3.10")
  done
fi
for dir in "$HOME"/.pyenv/versions/3.10*; do
  [ -x "$dir/bin/python3.10" ] && candidates+=("$dir/bin/python3.10")
done

for candidate in "${candidates[@]}"; do
  if works "$candidate"; then
    echo "$candidate"
    exit 0
  fi
done

cat >&2 <<'MSG'
No Python 3.10 found. Rasa Open Source 3.6 runs on Python 3.8-3.10.
Fix one of:
  - install it with pyenv:  pyenv install 3.10   (then `make install` finds it)
  - install Debian/Ubuntu's python3.10 and python3.10-venv packages
  - point at one you have:  make install PYTHON=/path/to/python3.10
MSG
exit 1

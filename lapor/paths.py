"""Where the project's files are: data shipped with the code, state under var/."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA = REPO_ROOT / "data"
VAR = REPO_ROOT / "var"

SERVICES_FILE = DATA / "services.yml"
AGENCIES_FILE = DATA / "agencies.yml"
DEADLINES_FILE = DATA / "deadlines.yml"
VOICE_PROMPTS_FILE = DATA / "voice" / "prompts.yml"
GAZETTEER_FILE = DATA / "gazetteer" / "kota_kediri_wilayah.geojson"
SLANG_LEXICON = DATA / "lexicon" / "slang.yml"
KELURAHAN_RULES = DATA / "lexicon" / "kelurahan.yml"

#!/bin/bash
# Opening a notebook changes nothing: serve a copy of notebooks/ with JupyterLab (+ jupytext), open
# every chapter and solutions notebook in headless Chromium, report whether its tab is marked unsaved,
# save it, and diff the copy against the repository's files (none may differ, no file may appear).
#   scripts/check_lab_open.sh LAB_PYTHON NODE_MODULES
# LAB_PYTHON: a Python with the [lab] extra (jupyterlab, jupytext) and ipykernel; NODE_MODULES: a
# folder holding playwright-core (npm install playwright-core); CHROMIUM: the browser (/usr/bin/chromium).
set -euo pipefail
python=$1
export NODE_PATH=$2
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
cp -r "$root/notebooks" "$work/notebooks"
export LAB_PORT=${LAB_PORT:-8899} LAB_TOKEN=check SHOTS=$work
JUPYTER_CONFIG_PATH="$root/.jupyter" JUPYTERLAB_WORKSPACES_DIR="$work/ws" "$python" -m jupyterlab --no-browser \
    --ServerApp.token=$LAB_TOKEN --ServerApp.port="$LAB_PORT" --ServerApp.ip=127.0.0.1 --allow-root \
    --ServerApp.root_dir="$work/notebooks" > "$work/lab.log" 2>&1 &
lab=$!
trap 'kill $lab 2>/dev/null && wait $lab || true' EXIT
sleep 10
cd "$work/notebooks"
node "$root/scripts/lab_open_save.js" 0*.ipynb solutions/*.ipynb | grep -v '^REPORT'
saves=$(grep -c "Saving file at" "$work/lab.log" || true)
echo "saved $saves notebooks; files that differ from the repository after saving:"
diff -r -q --exclude=.ipynb_checkpoints "$root/notebooks" "$work/notebooks" && echo "none (screenshots: $work)"

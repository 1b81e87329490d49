"""A small Flask app to try liveproxy with: edit this file (restart), a template (reload) or the CSS (hot swap).

Run it from the repository root:
    liveproxy --watch examples/flask -- /usr/bin/python3 examples/flask/app.py
"""

import os
import time

from flask import Flask, render_template

app = Flask(__name__)
# Without Flask's debug mode Jinja caches templates forever; liveproxy reloads the browser on a
# template edit without restarting us, so the edited template must be read again.
app.config["TEMPLATES_AUTO_RELOAD"] = True

STARTED = time.strftime("%H:%M:%S")

IDEAS = [
    ("Edit app.py", "liveproxy restarts the app, holds your request meanwhile, then updates the tab in place."),
    ("Edit templates/index.html", "the page updates in place (scroll and typed text kept); the app keeps running."),
    ("Edit static/style.css", "the new styles swap in without a reload."),
]


@app.route("/")
def index():
    return render_template("index.html", ideas=IDEAS, started=STARTED, pid=os.getpid())


@app.route("/about")
def about():
    return render_template("about.html", started=STARTED, pid=os.getpid())


if __name__ == "__main__":
    # No Flask reloader: liveproxy watches the files and restarts this process itself.
    app.run(host="127.0.0.1", port=int(os.environ.get("PORT", "5000")), debug=False, use_reloader=False)

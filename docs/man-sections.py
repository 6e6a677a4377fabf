"""Completes the man page PAGE (argv[1], mdoc, written by generate-manual) for docs/generate-man:
adds to each flag the default its --help shows but the page does not, then appends the exit
statuses and the ENVIRONMENT, FILES, EXAMPLES and SEE ALSO sections. Reads, one per line, a
command name, a tab, and what 'lavavisor config --json COMMAND' prints."""
import json
import re
import sys

page_path = sys.argv[1]
reports = {}
for line in sys.stdin:
    command, _, text = line.rstrip("\n").partition("\t")
    reports[command] = json.loads(text)["settings"]

# Defaults, per command section of the page (`.It Em wrap`).
page = open(page_path).read().split("\n")
defaults = {
    command: {e["name"]: e["value"] for e in entries if e["from"] == "default" and e.get("value") not in (None, "", "false")}
    for command, entries in reports.items()
}
section = None
for index, line in enumerate(page):
    match = re.match(r"^\.It Em (\S+)$", line)
    if match and match.group(1) in defaults:
        section = match.group(1)
        continue
    flag = re.match(r"^\.It Fl -([\w-]+)", line)
    if not (section and flag and index + 1 < len(page)):
        continue
    value = defaults[section].get(flag.group(1))
    described = page[index + 1]
    if value and not described.startswith(".") and "default" not in described:
        page[index + 1] = described.rstrip(".") + f". (default: {value})"
completed = "\n".join(page)
if not completed.endswith("\n"):
    completed += "\n"

settings = {}  # variable -> (flag, default, [commands])
for command, entries in reports.items():
    for entry in entries:
        # The first command's default stands (init's help names every command's).
        flag, default, commands = settings.setdefault(entry["variable"], (entry["name"], entry.get("value"), []))
        commands.append(command)
        settings[entry["variable"]] = (flag, default if entry["from"] == "default" else None, commands)


def escape(text):
    """mdoc text: a leading dot or quote would be a request, a backslash an escape."""
    text = text.replace("\\", "\\e")
    return "\\&" + text if text[:1] in (".", "'") else text


out = [
    ".Pp",
    "A usage error (a flag, a setting, a variable or a settings file that cannot be used) exits with 64",
    "before anything runs; an error at run time exits with 1. When lavap ends by itself and is not started",
    "again (--restart never, or a crash loop), lavavisor exits with lavap's status (128+N for signal N).",
    ".Sh ENVIRONMENT",
    "Every long flag is also a setting: from the command line, else from the environment variable",
    "below, else from",
    ".Pa <directory>/.lavavisor/settings.yml ,",
    "else (chain, connection and source settings) from what init, wrap, pod or start last used on that store,",
    "else its default.",
    ".Nm lavavisor Cm config",
    "shows where each value came from. An empty variable counts as unset; a flag takes true or false.",
    "A LAVAVISOR_ variable that is no setting is an error, except those lavavisor sets for the programs it",
    "runs (LAVAVISOR_HOOK, LAVAVISOR_FROM_VERSION, LAVAVISOR_TO_VERSION, LAVAVISOR_REASON, LAVAVISOR_COMMAND,",
    "LAVAVISOR_SUPERVISED, LAVAVISOR_OUT, LAVAVISOR_VERSION).",
    ".Bl -tag -width 6n",
]
for variable in sorted(settings):
    flag, default, commands = settings[variable]
    out.append(f".It Ev {variable}")
    text = f"--{flag} ({', '.join(commands)})"
    if default not in (None, "", "false"):
        text += f"; default {default}"
    out.append(escape(text))
out += [
    ".El",
    ".Sh FILES",
    ".Bl -tag -width 6n",
    ".It Pa <directory>/.lavavisor/settings.yml",
    "The operator's settings: one 'flag-name: value' per line.",
    ".It Pa <directory>/.lavavisor/recorded.yml",
    "The source settings init, wrap, pod and start last used, for later commands on the store.",
    ".It Pa <directory>/.lavavisor/upgrades/vX.Y.Z/lavap",
    "The installed versions, verified before they are moved there.",
    ".It Pa <directory>/.lavavisor/current",
    "The link to the version that runs, switched atomically.",
    ".It Pa <directory>/.lavavisor/run/control-PID.sock",
    "The control socket of a running wrapper (lavavisor ctl), owner only.",
    ".It Pa <directory>/.lavavisor/config.yml",
    "The services of create-service, which start runs.",
    ".El",
    ".Sh EXAMPLES",
    "Supervise a provider, fetching each version the chain requires:",
    ".Dl lavavisor wrap --auto-download -- lavap rpcprovider provider.yml --from alice --chain-id lava-testnet-2",
    "The same settings once, for every command on the store:",
    ".Dl LAVAVISOR_AUTO_DOWNLOAD=true LAVAVISOR_NODE=https://rpc.example lavavisor config wrap",
    "Hold upgrades of a running wrapper, then let them go:",
    ".Dl lavavisor ctl pause",
    ".Dl lavavisor ctl resume",
    "What a check would do now, for scripts:",
    ".Dl lavavisor status --json",
    ".Sh SEE ALSO",
    ".Xr systemctl 1 ,",
    ".Xr systemd.service 5 ,",
    ".Xr journalctl 1 ,",
    ".Xr prometheus 1",
    ".Pp",
    "README.md and docs/ in the source tree; docs/TROUBLESHOOTING.md lists every error with its fix.",
]
with open(page_path, "w") as page_file:
    page_file.write(completed + "\n".join(out) + "\n")

"""Flight APIs for the crash test: every real execution appends one line to a side-effect log.

``AF_SIDE_EFFECTS`` names the log. ``AF_KILL_IN_TOOL=NAME`` SIGKILLs the process inside NAME, after
its side effect and before it returns (the "mid-tool" crash). Results carry planted secrets.
"""

import json
import os
import signal


def _effect(name: str, args: dict) -> None:
    with open(os.environ["AF_SIDE_EFFECTS"], "a", encoding="utf-8") as fh:
        fh.write(json.dumps({"tool": name, "args": args}, sort_keys=True) + "\n")
    if os.environ.get("AF_KILL_IN_TOOL") == name:
        os.kill(os.getpid(), signal.SIGKILL)


def checkAvailability(plan_code: str, estimated_time: str = "now") -> dict:
    _effect("checkAvailability", {"plan_code": plan_code, "estimated_time": estimated_time})
    return {"is_air": "true"}


def reserveFlight(plan_code: str, cabin_type: str = "Economy Class", estimated_time: str = "now") -> dict:
    _effect("reserveFlight", {"plan_code": plan_code, "cabin_type": cabin_type})
    return {
        "is_successful": "true",
        "boarding_number": "C1",
        "seat_number": "12A",
        "pnr_secret": "PNR-planted-result-5531",  # declared secret field
        "access_token": "tok-planted-result-8812",  # secret by its name
        "confirmation": "conf " + os.environ.get("FLIGHT_API_KEY", ""),  # an environment secret echoed back
    }


def drop_database(confirm: bool = False) -> dict:
    """Implemented here but not declared in the workflow: it must never run."""
    _effect("drop_database", {"confirm": confirm})
    return {"dropped": "everything"}

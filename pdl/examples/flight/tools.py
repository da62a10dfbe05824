"""Flight-booking APIs for the demo: functions named after the PDL's APIs, returning response fields.

MU9101 is sold out, so the value precondition on reserveFlight (`is_air == "true"`) blocks it.
"""

SOLD_OUT = {"MU9101"}


def checkAvailability(plan_code: str, estimated_time: str = "now") -> dict[str, str]:
    """Whether the flight still has seats."""
    return {"is_air": "false" if plan_code in SOLD_OUT else "true"}


def reserveFlight(plan_code: str, cabin_type: str = "Economy Class", estimated_time: str = "now") -> dict[str, str]:
    """Reserve a seat and return the booking."""
    return {"is_successful": "true", "seat_number": "12A"}

"""Flight-booking APIs for tests: deterministic, with one flight that is sold out and one that fails."""

SOLD_OUT = {"MU9101"}


def checkAvailability(plan_code: str, estimated_time: str = "now") -> dict:
    return {"is_air": "false" if plan_code in SOLD_OUT else "true"}


def reserveFlight(plan_code: str, cabin_type: str = "Economy Class", estimated_time: str = "now") -> dict:
    if plan_code == "FM8901":
        raise RuntimeError("reservation system unavailable")
    return {
        "is_successful": "true",
        "boarding_number": "C1",
        "seat_number": "12A",
        "airport_name": "Beijing Capital International Airport",
        "actual_time": estimated_time,
    }

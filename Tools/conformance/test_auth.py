#!/usr/bin/env python3
"""google-auth's service-account flow against `batchledger emulator --require-auth`.

Usage: test_auth.py ENDPOINT KEY_FILE
The key file's token_uri is replaced by ENDPOINT/token; google-auth signs the JWT assertion itself.
"""
import json
import sys

import google.auth.exceptions
import google.auth.transport.requests
from google.api_core import exceptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import batch_v1
from google.oauth2 import service_account

endpoint, key_file = sys.argv[1].rstrip("/"), sys.argv[2]
info = json.load(open(key_file))
info["token_uri"] = f"{endpoint}/token"
passed = 0


def check(name, condition, detail=""):
    global passed
    if not condition:
        print(f"FAIL {name} {detail}")
        print(f"{passed} passed, 1 failed")
        sys.exit(1)
    passed += 1
    print(f"ok   {name}")


parent = "projects/conformance-project/locations/us-central1"
anonymous = batch_v1.BatchServiceClient(credentials=AnonymousCredentials(), transport="rest",
                                        client_options={"api_endpoint": endpoint})
try:
    list(anonymous.list_jobs(parent=parent))
    check("auth: anonymous call refused", False, "it was answered")
except (exceptions.Unauthenticated, google.auth.exceptions.InvalidOperation):
    # google-auth answers a 401 by refreshing, which anonymous credentials cannot: either error means 401.
    check("auth: anonymous call refused", True)

credentials = service_account.Credentials.from_service_account_info(
    info, scopes=["https://www.googleapis.com/auth/cloud-platform"])
client = batch_v1.BatchServiceClient(credentials=credentials, transport="rest",
                                     client_options={"api_endpoint": endpoint})
jobs = list(client.list_jobs(parent=parent))
check("auth: gapic client with service-account credentials (self-signed JWT) accepted", jobs == [])

# The OAuth2 JWT-bearer grant: google-auth posts its signed assertion to token_uri (the emulator's /token).
exchanged = service_account.Credentials.from_service_account_info(
    info, scopes=["https://www.googleapis.com/auth/cloud-platform"])
exchanged.refresh(google.auth.transport.requests.Request())
check("auth: JWT-bearer grant at /token issues an access token", (exchanged.token or "").startswith("ya29."),
      str(exchanged.token))
session = google.auth.transport.requests.AuthorizedSession(exchanged)
answer = session.get(f"{endpoint}/v1/{parent}/jobs")
check("auth: the issued access token authorizes API calls", answer.status_code == 200, answer.text)

other_info = json.load(open(sys.argv[3])) | {"token_uri": f"{endpoint}/token"}
other = service_account.Credentials.from_service_account_info(
    other_info, scopes=["https://www.googleapis.com/auth/cloud-platform"])
try:
    list(batch_v1.BatchServiceClient(credentials=other, transport="rest",
                                     client_options={"api_endpoint": endpoint}).list_jobs(parent=parent))
    check("auth: self-signed JWT of an unknown key refused", False, "it was accepted")
except (exceptions.Unauthorized, exceptions.Unauthenticated):
    check("auth: self-signed JWT of an unknown key refused", True)
try:
    other.refresh(google.auth.transport.requests.Request())
    check("auth: assertion of an unknown key refused at /token", False, "a token was issued")
except google.auth.exceptions.RefreshError as error:
    check("auth: assertion of an unknown key refused at /token", "invalid_grant" in str(error), str(error))

print(f"{passed} passed, 0 failed")

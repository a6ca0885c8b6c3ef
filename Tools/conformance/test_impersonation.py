#!/usr/bin/env python3
"""google-auth's impersonated credentials against `batchledger emulator --require-auth --impersonable EMAIL`.

Usage: test_impersonation.py ENDPOINT KEY_FILE ALLOWED_EMAIL
The key file's service account (its token_uri replaced by ENDPOINT/token) is the source; google-auth asks the
emulator's IAM Credentials API (`iam_endpoint_override`) for ALLOWED_EMAIL's token, and a google-cloud-storage
client then works with the impersonated credentials.
"""
import json
import sys
import urllib.request
import uuid

import google.auth.exceptions
import google.auth.transport.requests
from google.auth import impersonated_credentials
from google.cloud import storage
from google.oauth2 import service_account

endpoint, key_file, allowed = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
info = json.load(open(key_file)) | {"token_uri": f"{endpoint}/token"}
SCOPES = ["https://www.googleapis.com/auth/cloud-platform"]
passed = 0


def check(name, condition, detail=""):
    global passed
    if not condition:
        print(f"FAIL {name} {detail}")
        print(f"{passed} passed, 1 failed")
        sys.exit(1)
    passed += 1
    print(f"ok   {name}")


def iam_url(email):
    return f"{endpoint}/v1/projects/-/serviceAccounts/{email}:generateAccessToken"


def stats():
    with urllib.request.urlopen(f"{endpoint}/_emulator/stats") as answer:
        return json.load(answer)


def impersonate(email, source=None):
    return impersonated_credentials.Credentials(
        source_credentials=source or service_account.Credentials.from_service_account_info(info, scopes=SCOPES),
        target_principal=email, target_scopes=SCOPES, lifetime=600, iam_endpoint_override=iam_url(email))


before = stats()["requests"].get("generateAccessToken", 0)
credentials = impersonate(allowed)
credentials.refresh(google.auth.transport.requests.Request())
check("impersonation: generateAccessToken issues the account's token", (credentials.token or "").startswith("ya29."),
      str(credentials.token)[:12])
check("impersonation: expireTime parses as google-auth reads it", credentials.expiry is not None)
check("impersonation: counted as generateAccessToken in /_emulator/stats",
      stats()["requests"].get("generateAccessToken", 0) == before + 1)

run = uuid.uuid4().hex[:8]
gcs = storage.Client(project="conformance-project", credentials=credentials,
                     client_options={"api_endpoint": endpoint})
bucket = gcs.create_bucket(f"impersonated-{run}")
blob = bucket.blob("made-as-the-account.txt")
blob.upload_from_string(b"impersonated\n")
check("impersonation: google-cloud-storage works with the impersonated credentials",
      bucket.blob("made-as-the-account.txt").download_as_bytes() == b"impersonated\n")
callers = stats().get("callers", {})
check("impersonation: the storage calls were made as the impersonated account", callers.get(allowed, 0) >= 3,
      str(callers))

try:
    impersonate("other@conformance-project.iam.gserviceaccount.com").refresh(
        google.auth.transport.requests.Request())
    check("impersonation: an account the caller may not impersonate is refused", False, "a token was issued")
except google.auth.exceptions.RefreshError as error:
    check("impersonation: an account the caller may not impersonate is refused (403 PERMISSION_DENIED)",
          "PERMISSION_DENIED" in str(error), str(error))

try:
    impersonate("not-an-email").refresh(google.auth.transport.requests.Request())
    check("impersonation: a malformed account name is refused", False, "a token was issued")
except google.auth.exceptions.RefreshError as error:
    check("impersonation: a malformed account name is refused (400 INVALID_ARGUMENT)",
          "Invalid form of account ID" in str(error), str(error))

other_info = json.load(open(sys.argv[2].replace("trusted", "other"))) | {"token_uri": f"{endpoint}/token"}
untrusted = service_account.Credentials.from_service_account_info(other_info, scopes=SCOPES)
try:
    impersonate(allowed, source=untrusted).refresh(google.auth.transport.requests.Request())
    check("impersonation: a source the emulator does not trust gets nothing", False, "a token was issued")
except google.auth.exceptions.RefreshError:
    check("impersonation: a source the emulator does not trust gets nothing", True)

print(f"{passed} passed, 0 failed")

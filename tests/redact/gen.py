#!/usr/bin/env python3
"""gen.py - writes the labelled redaction corpus (deterministic).

Each sample NN-name.txt is one HTTP/1.1 exchange (request then response) as
it appears in a decrypted stream.  secrets.tsv lists planted secrets
(file<TAB>kind<TAB>secret, escapes \\r \\n \\t); survivors.tsv lists text that
must survive byte-for-byte (structure and look-alikes), same format.
Run: python3 tests/redact/gen.py   (from anywhere)."""
import base64, os, random

HERE = os.path.dirname(os.path.abspath(__file__))
rnd = random.Random(5)
samples, secrets, survivors = [], [], []

def rs(n, alpha="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"):
    return "".join(rnd.choice(alpha) for _ in range(n))

def luhn_complete(prefix, n):
    s = prefix + "".join(rnd.choice("0123456789") for _ in range(n - len(prefix) - 1))
    for d in "0123456789":
        t = s + d
        tot = 0
        for i, c in enumerate(reversed(t)):
            v = int(c)
            if i % 2:
                v *= 2
                if v > 9: v -= 9
            tot += v
        if tot % 10 == 0:
            return t
def luhn_fail(prefix, n):
    good = luhn_complete(prefix, n)
    return good[:-1] + str((int(good[-1]) + 3) % 10)

def iban(cc, bban):
    num = "".join(str(int(c, 36)) for c in bban + cc + "00")
    chk = 98 - int(num) % 97
    return f"{cc}{chk:02d}{bban}"

def add(name, text, planted, keep):
    samples.append((name, text))
    for kind, s in planted:
        assert s in text, (name, kind, s)
        secrets.append((name, kind, s))
    for s in keep:
        assert s in text, (name, s)
        survivors.append((name, "keep", s))

def req(method, path, headers, body=""):
    h = "".join(f"{k}: {v}\r\n" for k, v in headers)
    if body:
        h += f"Content-Length: {len(body)}\r\n"
    return f"{method} {path} HTTP/1.1\r\n{h}\r\n{body}"

def resp(status, headers, body=""):
    h = "".join(f"{k}: {v}\r\n" for k, v in headers)
    h += f"Content-Length: {len(body)}\r\n"
    return f"HTTP/1.1 {status}\r\n{h}\r\n{body}"

uuid = lambda: f"{rs(8,'0123456789abcdef')}-{rs(4,'0123456789abcdef')}-4{rs(3,'0123456789abcdef')}-a{rs(3,'0123456789abcdef')}-{rs(12,'0123456789abcdef')}"
img = base64.b64encode(bytes(rnd.randrange(256) for _ in range(900))).decode()
etag = rs(32, "0123456789abcdef")

# 1. bearer + JSON API with access/refresh tokens
bearer = rs(40)
at, rt = "ya29." + rs(60), "1//" + rs(45)
u1 = uuid()
add("01-oauth.txt",
    req("POST", "/oauth2/token", [("Host", "auth.example.com"), ("Authorization", "Bearer " + bearer),
        ("Content-Type", "application/json"), ("X-Request-Id", u1)],
        '{"grant_type":"refresh_token","client_id":"web-app"}') +
    resp("200 OK", [("Content-Type", "application/json"), ("ETag", '"' + etag + '"'), ("Cache-Control", "no-store")],
         '{"access_token":"%s","token_type":"Bearer","expires_in":3599,"refresh_token":"%s","scope":"openid email"}' % (at, rt)),
    [("authorization-bearer", bearer), ("json-access_token", at), ("json-refresh_token", rt)],
    ["POST /oauth2/token HTTP/1.1", "Authorization: Bearer ", '"token_type":"Bearer"', u1, etag, '"expires_in":3599', "Cache-Control: no-store"])

# 2. login form with password, otp, pin; Set-Cookie response
pw, otp, pin, sid, csrf = "S3cr3t!Pass#" + rs(6), "492817", "8841", rs(32), rs(24)
add("02-login-form.txt",
    req("POST", "/login", [("Host", "shop.example.com"), ("Content-Type", "application/x-www-form-urlencoded"),
        ("Cookie", "csrftoken=" + csrf + "; theme=dark")],
        "username=alice&password=%s&otp=%s&pin=%s&remember=1" % (pw.replace("#", "%23").replace("!", "%21"), otp, pin)) +
    resp("302 Found", [("Location", "/account"), ("Set-Cookie", "sessionid=%s; Path=/; HttpOnly; Secure" % sid)]),
    [("form-password", pw.replace("#", "%23").replace("!", "%21")), ("form-otp", "otp=" + otp), ("form-pin", "pin=" + pin),
     ("cookie", csrf), ("set-cookie", sid)],
    ["POST /login HTTP/1.1", "username=alice&password=", "&remember=1", "Set-Cookie: sessionid=", "; Path=/; HttpOnly; Secure", "Location: /account"])

# 3. query string secrets + Google key in URL + Basic proxy auth
gkey = "AIza" + rs(35, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
tok, apikey = rs(30), rs(28)
basic = base64.b64encode(b"proxyuser:" + rs(12).encode()).decode()
add("03-query.txt",
    req("GET", "/maps/api/geocode/json?address=Main+St&key=%s&access_token=%s&api_key=%s&page=2" % (gkey, tok, apikey),
        [("Host", "maps.example.com"), ("Proxy-Authorization", "Basic " + basic), ("Accept", "*/*")]) +
    resp("200 OK", [("Content-Type", "application/json")], '{"results":[],"status":"ZERO_RESULTS","page":2}'),
    # the samples are redacted as streams nobody placed (TR_MEDIA_ANY), where
    # body-scoped rules apply too: address= is a form field name
    # (14-http-body.rules) even in a request line
    [("google-api-key", gkey), ("query-access_token", tok), ("query-api_key", apikey), ("proxy-basic", basic),
     ("query-address", "Main+St")],
    ["GET /maps/api/geocode/json?address=", "&key=", "&page=2 HTTP/1.1", "Proxy-Authorization: Basic ", '"status":"ZERO_RESULTS"'])

# 4. cloud config JSON: AWS, GitHub, GitLab, Slack, Stripe, generic
akid = "AKIA" + rs(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
asec = rs(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+")
ghp = "ghp_" + rs(36)
glp = "glpat-" + rs(20)
slk = "xoxb-%s-%s-%s" % (rs(12, "0123456789"), rs(13, "0123456789"), rs(24))
hook = "T%s/B%s/%s" % (rs(8, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"), rs(8, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"), rs(24))
stripe = "sk_live_" + rs(24)
gen = rs(32)
u4 = uuid()
body = ('{"id":"%s","aws":{"AccessKeyId":"%s","SecretAccessKey":"%s"},"github":"%s","gitlab":"%s",'
        '"slack":{"bot":"%s","webhook":"https://hooks.slack.com/services/%s"},"stripe":"%s",'
        '"service_signing_key":"%s","version":"2.4.1","region":"eu-west-1"}') % (u4, akid, asec, ghp, glp, slk, hook, stripe, gen)
add("04-config.txt",
    req("GET", "/v1/config", [("Host", "config.internal"), ("Accept", "application/json")]) +
    resp("200 OK", [("Content-Type", "application/json")], body),
    [("aws-access-key-id", akid), ("aws-secret", asec), ("github", ghp), ("gitlab", glp), ("slack", slk),
     ("slack-webhook", hook), ("stripe", stripe), ("generic", gen)],
    [u4, '"version":"2.4.1"', '"region":"eu-west-1"', "https://hooks.slack.com/services/", "GET /v1/config HTTP/1.1"])

# 5. payment: cards (Luhn-valid) and order numbers (Luhn-invalid), IBAN, SSN, e-mail
visa = luhn_complete("4", 16)
mc = luhn_complete("5", 16)
mcs = " ".join(mc[i:i + 4] for i in range(0, 16, 4))
amex = luhn_complete("37", 15)
amexd = amex[:4] + "-" + amex[4:10] + "-" + amex[10:]
order1, order2 = luhn_fail("4", 16), luhn_fail("5", 16)
ib = iban("DE", "37040044" + rs(10, "0123456789"))
ibs = " ".join(ib[i:i + 4] for i in range(0, len(ib), 4))
ssn = "%03d-%02d-%04d" % (rnd.randrange(1, 665), rnd.randrange(1, 99), rnd.randrange(1, 9999))
mail = "jane.doe+" + rs(5, "abcdefghij") + "@example.org"
add("05-payment.txt",
    req("POST", "/api/checkout", [("Host", "pay.example.com"), ("Content-Type", "application/json")],
        '{"order":"%s","ref":"%s","card":{"number":"%s","exp":"12/29"},"backup_card":"%s","amex":"%s",'
        '"iban":"%s","iban_print":"%s","ssn":"%s","email":"%s","phone":"+1-202-555-0143","hotline":"+1-202-555-0199","ts":1700000000000}'
        % (order1, order2, visa, mcs, amexd, ib, ibs, ssn, mail)) +
    resp("201 Created", [("Content-Type", "application/json")], '{"status":"accepted","order":"%s"}' % order1),
    [("card-visa", visa), ("card-mc-spaced", mcs), ("card-amex-dashed", amexd), ("iban", ib), ("iban-spaced", ibs),
     ("ssn", ssn), ("email", mail), ("json-phone", "+1-202-555-0143")],
    [order1, order2, "+1-202-555-0199", "1700000000000", '"exp":"12/29"', "POST /api/checkout HTTP/1.1", '"status":"accepted"'])

# 6. SAML POST binding + XML credentials
saml = base64.b64encode(("<samlp:Response>" + rs(600) + "</samlp:Response>").encode()).decode()
saml_url = saml.replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")
xpw = rs(14) + "!"
add("06-saml-xml.txt",
    req("POST", "/saml/acs", [("Host", "sp.example.com"), ("Content-Type", "application/x-www-form-urlencoded")],
        "SAMLResponse=%s&RelayState=%s" % (saml_url, rs(16))) +
    req("POST", "/ws/Login", [("Host", "soap.example.com"), ("Content-Type", "text/xml; charset=utf-8"), ("SOAPAction", '"Login"')],
        '<?xml version="1.0"?><soap:Envelope><soap:Header><wsse:Security><wsse:UsernameToken>'
        '<wsse:Username>svc-batch</wsse:Username><wsse:Password Type="PasswordText">%s</wsse:Password>'
        '</wsse:UsernameToken></wsse:Security></soap:Header><soap:Body><Login/></soap:Body></soap:Envelope>' % xpw),
    [("saml", saml_url), ("xml-password", xpw)],
    ["POST /saml/acs HTTP/1.1", "SAMLResponse=", "&RelayState=", "<wsse:Username>svc-batch</wsse:Username>", '<wsse:Password Type="PasswordText">', "</wsse:Password>", "SOAPAction: \"Login\""])

# 7. JWT in header and body, PEM private key in JSON, base64 image look-alike
def b64u(b): return base64.urlsafe_b64encode(b).decode().rstrip("=")
jwt = b64u(b'{"alg":"RS256","typ":"JWT"}') + "." + b64u(('{"sub":"%s","exp":1900000000}' % rs(10)).encode()) + "." + b64u(bytes(rnd.randrange(256) for _ in range(64)))
pem_body = "\\n".join(base64.b64encode(bytes(rnd.randrange(256) for _ in range(48))).decode() for _ in range(8))
u7 = uuid()
add("07-jwt-pem-image.txt",
    req("PUT", "/api/keys/" + u7, [("Host", "vault.example.com"), ("X-Id-Token", jwt), ("Content-Type", "application/json")],
        '{"name":"signer","pem":"-----BEGIN EC PRIVATE KEY-----\\n%s\\n-----END EC PRIVATE KEY-----\\n","avatar":"data:image/png;base64,%s"}' % (pem_body, img)) +
    resp("200 OK", [("Content-Type", "text/html; charset=utf-8")],
         '<html><body><img src="data:image/png;base64,%s"><p id="%s">Saved</p></body></html>' % (img, u7)),
    [("jwt", jwt), ("pem-private-key", pem_body)],
    [img, u7, "-----BEGIN EC PRIVATE KEY-----", "-----END EC PRIVATE KEY-----", "<p id=", "PUT /api/keys/", "X-Id-Token: ", "Content-Type: text/html; charset=utf-8"])

# 8. digest auth, generic API headers, look-alike hex ids
dig = 'username="ops", realm="api", nonce="%s", uri="/status", response="%s"' % (rs(32, "0123456789abcdef"), rs(32, "0123456789abcdef"))
xkey = rs(32, "0123456789abcdef")
sha = rs(40, "0123456789abcdef")
add("08-digest-generic.txt",
    req("GET", "/status", [("Host", "ops.example.com"), ("Authorization", "Digest " + dig), ("X-Api-Key", xkey),
        ("X-Api-Version", "2023-10-16"), ("If-None-Match", '"' + sha + '"'), ("Accept-Language", "en-US,en;q=0.9")]) +
    resp("200 OK", [("Content-Type", "text/plain"), ("X-Commit", sha), ("Access-Control-Allow-Headers", "Content-Type, Authorization")], "ok\n"),
    [("authorization-digest", dig), ("x-api-key", xkey)],
    ["Authorization: Digest ", "X-Api-Version: 2023-10-16", sha, "Accept-Language: en-US,en;q=0.9", "Access-Control-Allow-Headers: Content-Type, Authorization", "GET /status HTTP/1.1"])

# 9. keep-alive pipeline: several requests, secrets near boundaries, lowercase headers
c1, c2 = rs(40), rs(40)
add("09-pipeline.txt",
    "".join(req("GET", "/item/%d" % i, [("host", "a.example.com"), ("cookie", "s=" + (c1 if i % 2 else c2))]) for i in range(4)) +
    resp("200 OK", [("content-type", "text/plain")], "item"),
    [("cookie-1", c1), ("cookie-2", c2)],
    ["GET /item/0 HTTP/1.1", "GET /item/3 HTTP/1.1", "host: a.example.com", "cookie: "])

# 10. body fields by name (14-http-body.rules): nested form names, password
# change, personal JSON members, SOAP with CDATA and ISO 20022 address
# elements, credentials in a non-standard header; user names and
# look-alike names are kept
npw, cpw, ccv = "Nw" + rs(10), rs(12), "%03d" % rnd.randrange(1000)
fwd = base64.b64encode(b"svc:" + rs(12).encode()).decode()
fn, ln, ph, street, dob = "Jane", "O'Hara", "+44 20 7946 0" + rs(3, "0123456789"), "221B Baker St", "1984-06-0" + rs(1, "123456789")
cdpw = "x]" + rs(10)
add("10-body-fields.txt",
    req("POST", "/account/password", [("Host", "shop.example.com"), ("Content-Type", "application/x-www-form-urlencoded"),
        ("X-Forwarded-Authorization", "Basic " + fwd)],
        "user%%5Blogin%%5D=alice&user%%5Bcurrent_password%%5D=%s&user%%5Bpassword%%5D=%s&user%%5Bpassword_confirmation%%5D=%s"
        "&card_cvv=%s&card_type=visa&commit=Save" % (cpw, npw, npw, ccv)) +
    req("PUT", "/api/v1/me", [("Host", "api.example.com"), ("Content-Type", "application/json; charset=utf-8")],
        '{"username":"alice","firstName":"%s","lastName":"%s","phone":"%s","phoneType":"mobile","email_verified":true,'
        '"address":{"street":"%s","city":"London"},"dateOfBirth":"%s","name":"wishlist"}' % (fn, ln, ph, street, dob)) +
    req("POST", "/ws/Pay", [("Host", "soap.example.com"), ("Content-Type", "application/soap+xml; charset=utf-8")],
        '<soap:Envelope><soap:Header><wsse:Security><wsse:UsernameToken><wsse:Username>svc-pay</wsse:Username>'
        '<wsse:Password><![CDATA[%s]]></wsse:Password></wsse:UsernameToken></wsse:Security></soap:Header>'
        '<soap:Body><Cdtr><Nm>ACME Ltd</Nm><PstlAdr><AdrLine>%s</AdrLine></PstlAdr></Cdtr></soap:Body></soap:Envelope>' % (cdpw, street)),
    [("x-forwarded-authorization", fwd), ("form-current_password", cpw), ("form-nested-password", npw),
     ("form-card_cvv", "cvv=" + ccv), ("json-firstName", '"' + fn + '"'), ("json-lastName", ln), ("json-phone", ph),
     ("json-street", street), ("json-dateOfBirth", dob), ("xml-cdata-password", cdpw)],
    ["user%5Blogin%5D=alice", "&card_type=visa&commit=Save", '"username":"alice"', '"phoneType":"mobile","email_verified":true',
     '"city":"London"', '"name":"wishlist"', "<wsse:Username>svc-pay</wsse:Username>", "<![CDATA[", "]]></wsse:Password>",
     "<Nm>ACME Ltd</Nm>", "X-Forwarded-Authorization: Basic ", "PUT /api/v1/me HTTP/1.1"])

def esc(s): return s.replace("\\", "\\\\").replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t")
for name, text in samples:
    with open(os.path.join(HERE, name), "w", newline="") as f:
        f.write(text)
for fn, rows in (("secrets.tsv", secrets), ("survivors.tsv", survivors)):
    with open(os.path.join(HERE, fn), "w") as f:
        f.write("# file\tkind\ttext (escapes \\r \\n \\t \\\\)\n")
        for r in rows:
            f.write("%s\t%s\t%s\n" % (r[0], r[1], esc(r[2])))
print("%d samples, %d secrets, %d survivors" % (len(samples), len(secrets), len(survivors)))

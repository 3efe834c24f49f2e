"""Vendor credential formats (the kinds of gitleaks' default rule set that show up in development
transcripts), each a rule led by its literal prefix so it stands on its own, not only in a ``*_TOKEN=``
assignment. The formats are public facts; the patterns are written here.

A rule's needles are lower-case substrings of every match (the gate in ``daily_report.text.redact`` finds them);
``back`` is how far before its needle a match may start.
"""

from __future__ import annotations

import re

from daily_report.text.redact_rules import Rule
from daily_report.text.redact_values import randomish

_END = r"(?![A-Za-z0-9_-])"  # a token ends where its alphabet ends


def _token(
    name: str, regex: str, *needles: str, back: int = 0, ahead: int = 400, group: str | None = None
) -> Rule:
    """A bare token: must not follow a word character; the whole match (or ``group``) is the secret."""
    return Rule(
        name,
        re.compile(regex),
        needles=needles,
        boundary=True,
        anchored=back == 0,
        back=back,
        ahead=ahead,
        group=group,
    )


VENDOR_RULES: tuple[Rule, ...] = (
    Rule(
        "azure-storage-key",
        re.compile(r"(?i:AccountKey|SharedAccessKey)=(?P<v>[A-Za-z0-9+/]{30,120}={0,2})"),
        needles=("accountkey=", "sharedaccesskey="),
        group="v",
        anchored=True,
    ),
    Rule(
        "azure-sas-signature",
        re.compile(r"(?<=[?&;])sig=(?P<v>[A-Za-z0-9%+/=]{20,200})"),
        needles=("sig=",),
        group="v",
        anchored=True,
    ),
    _token(
        "azure-client-secret", r"[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34}(?![A-Za-z0-9_~.-])", "q~", back=5
    ),
    _token("sendgrid-key", r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}" + _END, "sg."),
    Rule(  # also right after ``bot`` in an API URL: api.telegram.org/bot<token>/getMe
        "telegram-bot-token",
        re.compile(r"(?:(?<=bot)|(?<![A-Za-z0-9_]))\d{5,16}:AA[A-Za-z0-9_-]{32,33}" + _END),
        needles=(":aa",),
        back=17,
        ahead=40,
    ),
    _token("gcp-oauth-token", r"ya29\.[A-Za-z0-9_-]{20,}", "ya29.", ahead=4000),
    _token("gcp-refresh-token", r"1//0[A-Za-z0-9_-]{40,}", "1//0", ahead=1000),
    Rule(
        "discord-webhook",
        re.compile(r"discord(?:app)?\.com/api(?:/v\d+)?/webhooks/\d{5,30}/(?P<v>[A-Za-z0-9_-]{40,100})"),
        needles=("discord",),
        group="v",
        anchored=True,
    ),
    Rule(
        "teams-webhook",
        re.compile(r"webhook\.office\.com/webhookb2/(?P<v>[A-Za-z0-9@/_-]{40,400})"),
        needles=("webhook.office.com",),
        group="v",
        anchored=True,
    ),
    _token("databricks-token", r"dapi[a-f0-9]{32}(?:-\d)?(?![A-Za-z0-9])", "dapi"),
    Rule(
        "pypi-token",
        re.compile(r"pypi-[A-Za-z0-9_-]{50,}"),
        needles=("pypi-",),
        boundary=True,
        anchored=True,
        check=randomish,
    ),
    _token("digitalocean-token", r"do[opr]_v1_[a-f0-9]{64}(?![A-Za-z0-9])", "dop_v1_", "doo_v1_", "dor_v1_"),
    _token("mailgun-key", r"(?:pub)?key-[a-f0-9]{32}(?![A-Za-z0-9])", "key-", "pubkey-"),
    _token("stripe-webhook-secret", r"whsec_[A-Za-z0-9+/=]{24,}", "whsec_"),
    _token("twilio-key", r"SK[0-9a-fA-F]{32}(?![A-Za-z0-9])", "sk"),
    _token(
        "gitlab-token",
        r"(?:glpat|gldt|glptt|glrt|glcbt|glimt|glsoat|glft|gloas|glagent)-[A-Za-z0-9_-]{20,100}"
        + _END
        + r"|GR1348941[A-Za-z0-9_-]{20,}",
        "glpat-",
        "gldt-",
        "glptt-",
        "glrt-",
        "glcbt-",
        "glimt-",
        "glsoat-",
        "glft-",
        "gloas-",
        "glagent-",
        "gr1348941",
    ),
    _token(
        "shopify-token",
        r"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}(?![A-Za-z0-9])",
        "shpat_",
        "shpca_",
        "shppa_",
        "shpss_",
    ),
    _token(
        "square-token",
        r"sq0(?:atp|csp)-[0-9A-Za-z_-]{22,60}" + _END + r"|EAAA[A-Za-z0-9_-]{60,}",
        "sq0atp-",
        "sq0csp-",
        "eaaa",
    ),
    _token("heroku-key", r"HRKU-[A-Za-z0-9_-]{58,70}" + _END, "hrku-"),
    Rule(
        "heroku-key",
        re.compile(
            r"(?i:heroku)[\w.-]{0,20}[\"']?\s{0,3}(?::|=|:=|=>)\s{0,3}[\"']?"
            r"(?P<v>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})"
        ),
        needles=("heroku",),
        group="v",
        anchored=True,
    ),
    _token("atlassian-token", r"ATATT3[A-Za-z0-9_=-]{100,}", "atatt3", ahead=1000),
    _token("age-secret-key", r"AGE-SECRET-KEY-1[0-9A-Z]{58}", "age-secret-key-1"),
    _token("vault-token", r"hv[sb]\.[A-Za-z0-9_-]{24,}", "hvs.", "hvb.", ahead=1000),
    _token("terraform-token", r"[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,70}", ".atlasv1.", back=14),
    _token("doppler-token", r"dp\.(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9_-]{40,}", "dp."),
    _token(
        "grafana-token",
        r"glc_[A-Za-z0-9+/]{32,400}={0,2}|glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}",
        "glc_",
        "glsa_",
    ),
    _token("newrelic-key", r"NR(?:AK|JS|II)-[A-Za-z0-9]{19,32}" + _END, "nrak-", "nrjs-", "nrii-"),
    _token("postman-key", r"PMAK-[a-fA-F0-9]{24}-[a-fA-F0-9]{34}", "pmak-"),
    _token("sentry-token", r"sntry[su]_[A-Za-z0-9+/=_-]{40,}", "sntry", ahead=1000),
    _token("linear-key", r"lin_(?:api|oauth)_[A-Za-z0-9]{40}" + _END, "lin_api_", "lin_oauth_"),
    _token("planetscale-token", r"pscale_(?:tkn|pw|oauth)_[A-Za-z0-9=._-]{32,64}", "pscale_"),
    _token("rubygems-key", r"rubygems_[a-f0-9]{48}", "rubygems_"),
    _token("pulumi-token", r"pul-[a-f0-9]{40}", "pul-"),
    _token("prefect-key", r"pnu_[A-Za-z0-9]{36}", "pnu_"),
    _token("brevo-key", r"x(?:keysib|smtpsib)-[a-f0-9]{64}-[A-Za-z0-9]{16}", "xkeysib-", "xsmtpsib-"),
    _token("dynatrace-token", r"dt0c01\.[A-Z0-9]{24}\.[A-Z0-9]{64}", "dt0c01."),
    _token("easypost-key", r"EZ[AT]K[A-Za-z0-9]{54}", "ezak", "eztk"),
    _token("alibaba-key", r"LTAI[A-Za-z0-9]{20}(?![A-Za-z0-9])", "ltai"),
    _token("openshift-token", r"sha256~[A-Za-z0-9_-]{43}", "sha256~"),
    _token("onepassword-token", r"ops_eyJ[A-Za-z0-9+/]{250,}={0,3}", "ops_eyj", ahead=4000),
    _token("mapbox-secret", r"sk\.eyJ[A-Za-z0-9._-]{50,}", "sk.eyj", ahead=1000),
    _token("supabase-key", r"sbp_[a-f0-9]{40}|sb_secret_[A-Za-z0-9_-]{20,}", "sbp_", "sb_secret_"),
    _token("groq-key", r"gsk_[A-Za-z0-9]{48,56}" + _END, "gsk_"),
    _token("replicate-token", r"r8_[A-Za-z0-9]{37}" + _END, "r8_"),
    _token("perplexity-key", r"pplx-[A-Za-z0-9]{48}" + _END, "pplx-"),
    _token("xai-key", r"xai-[A-Za-z0-9]{70,90}" + _END, "xai-"),
    _token("notion-token", r"ntn_[A-Za-z0-9]{40,50}" + _END, "ntn_"),
)

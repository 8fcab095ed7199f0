"""Cognito IdP (json 1.1): ListGroups, ListUsersInGroup, ListUsers over seeded user pools.

Config cognito = {"page_size": 60, "user_pools": {"<pool id>": {
    "groups": ["name" | {"GroupName", "Description", "Precedence"}],
    "users": [{"Username", "Attributes": {"name": "value"}, "Groups": ["name"], "Enabled", "UserStatus"}]}}}
Groups and members list in the order they were added. A user without a `sub` gets a random UUID,
as Cognito assigns one. Every call is recorded with the caller's ARN (admin `GET cognito/calls`),
so tests can see which credentials (e.g. an assumed role's session) made it.
"""

import datetime
import re
import threading
import uuid

from .protocol import AwsError
from .service import Service

_POOL_RE = re.compile(r"^[\w-]+_[0-9a-zA-Z]+$")
# ListUsers Filter: `attribute = "value"` or `attribute ^= "value"` on the attributes Cognito allows.
_FILTER_RE = re.compile(r'^\s*([\w:]+)\s*(\^?=)\s*"((?:[^"\\]|\\.)*)"\s*$')
_FILTERABLE = {"username", "email", "phone_number", "name", "given_name", "family_name",
               "preferred_username", "cognito:user_status", "status", "sub"}


class CognitoService(Service):
    name = "cognito-idp"

    def __init__(self, emu):
        super().__init__(emu)
        cfg = emu.config.get("cognito", {})
        self.page_size = int(cfg.get("page_size", 60))
        self.lock = threading.Lock()
        self.pools = {}  # pool id -> {"groups": {name: rec}, "users": {username: rec}}
        self.calls = []  # {"api", "pool", "caller"}
        for pool, spec in cfg.get("user_pools", {}).items():
            self.create_pool(pool)
            for g in spec.get("groups", []):
                self.add_group(pool, **({"GroupName": g} if isinstance(g, str) else g))
            for u in spec.get("users", []):
                self.add_user(pool, **u)

    # ---- seeding (config and admin API)

    def create_pool(self, pool):
        if not _POOL_RE.match(pool):
            raise ValueError(f"user pool id {pool!r} does not look like <region>_<id>")
        with self.lock:
            return self.pools.setdefault(pool, {"groups": {}, "users": {}})

    def add_group(self, pool, GroupName, Description=None, Precedence=None):
        p = self.create_pool(pool)
        now = datetime.datetime.now(datetime.timezone.utc)
        rec = {"GroupName": GroupName, "UserPoolId": pool, "CreationDate": now, "LastModifiedDate": now,
               "members": []}
        if Description is not None:
            rec["Description"] = Description
        if Precedence is not None:
            rec["Precedence"] = int(Precedence)
        with self.lock:
            p["groups"].setdefault(GroupName, rec)

    def add_user(self, pool, Username, Attributes=None, Groups=(), Enabled=True, UserStatus="CONFIRMED"):
        p = self.create_pool(pool)
        attrs = dict(Attributes or {})
        attrs.setdefault("sub", str(uuid.uuid4()))
        now = datetime.datetime.now(datetime.timezone.utc)
        with self.lock:
            p["users"][Username] = {"Username": Username, "attributes": attrs, "Enabled": bool(Enabled),
                                    "UserStatus": UserStatus, "UserCreateDate": now, "UserLastModifiedDate": now}
            for g in Groups:
                if g not in p["groups"]:
                    raise ValueError(f"group {g!r} does not exist in {pool}")
                members = p["groups"][g]["members"]
                if Username not in members:
                    members.append(Username)
        return attrs["sub"]

    def remove_from_group(self, pool, Username, GroupName):
        with self.lock:
            members = self.pools[pool]["groups"][GroupName]["members"]
            if Username in members:
                members.remove(Username)

    # ---- helpers

    def _pool(self, p, ctx, api):
        pool_id = p["UserPoolId"]
        with self.lock:
            self.calls.append({"api": api, "pool": pool_id, "caller": ctx.cred.arn if ctx.cred else None})
        if not _POOL_RE.match(pool_id):
            raise AwsError("InvalidParameterException",
                           f"1 validation error detected: Value '{pool_id}' at 'userPoolId' failed to satisfy "
                           "constraint: Member must satisfy regular expression pattern: [\\w-]+_[0-9a-zA-Z]+")
        pool = self.pools.get(pool_id)
        if pool is None:
            raise AwsError("ResourceNotFoundException", f"User pool {pool_id} does not exist.")
        return pool

    def _limit(self, p):
        return min(self.page_size, p.get("Limit") or 60)

    @staticmethod
    def _user_view(rec, only=None):
        attrs = [{"Name": k, "Value": v} for k, v in rec["attributes"].items() if only is None or k in only]
        return {"Username": rec["Username"], "Attributes": attrs, "UserCreateDate": rec["UserCreateDate"],
                "UserLastModifiedDate": rec["UserLastModifiedDate"], "Enabled": rec["Enabled"],
                "UserStatus": rec["UserStatus"]}

    def _page(self, rows, p, token_name, list_key):
        return self.page(rows, p.get(token_name), self._limit(p), list_key, token_name, token_name,
                         bad_token_code="InvalidParameterException")

    @staticmethod
    def _filter(expr):
        m = _FILTER_RE.match(expr)
        if not m or m.group(1) not in _FILTERABLE:
            raise AwsError("InvalidParameterException", f"Error while parsing filter: {expr}")
        name, op, value = m.group(1), m.group(2), m.group(3).replace('\\"', '"')

        def keep(rec):
            have = rec["Username"] if name == "username" else \
                rec["UserStatus"] if name == "cognito:user_status" else \
                ("Enabled" if rec["Enabled"] else "Disabled") if name == "status" else rec["attributes"].get(name)
            return have is not None and (have == value if op == "=" else have.startswith(value))
        return keep

    # ---- operations

    def op_ListGroups(self, p, ctx):
        pool = self._pool(p, ctx, "ListGroups")
        with self.lock:
            rows = [{k: v for k, v in g.items() if k != "members"} for g in pool["groups"].values()]
        return self._page(rows, p, "NextToken", "Groups")

    def op_ListUsersInGroup(self, p, ctx):
        pool = self._pool(p, ctx, "ListUsersInGroup")
        with self.lock:
            group = pool["groups"].get(p["GroupName"])
            if group is None:
                raise AwsError("ResourceNotFoundException", "Group not found.")
            rows = [self._user_view(pool["users"][u]) for u in group["members"]]
        return self._page(rows, p, "NextToken", "Users")

    def op_ListUsers(self, p, ctx):
        pool = self._pool(p, ctx, "ListUsers")
        keep = self._filter(p["Filter"]) if p.get("Filter") else (lambda rec: True)
        only = set(p["AttributesToGet"]) if "AttributesToGet" in p else None
        with self.lock:
            rows = [self._user_view(u, only) for u in pool["users"].values() if keep(u)]
        return self._page(rows, p, "PaginationToken", "Users")

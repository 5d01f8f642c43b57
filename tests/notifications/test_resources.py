"""A subscription's resource, notification URLs and request checks: pure functions."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from graphpost.errors import SubscriptionExtensionError, SubscriptionRequestInvalid
from graphpost.notifications.requests import expiration
from graphpost.notifications.resources import FOLDER_MESSAGES, FOLDERS, MESSAGES, WatchedResource, parse_resource
from graphpost.notifications.urls import checked_url
from graphpost.notifications.validation import with_query

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(("resource", "watched"), [
    ("me/messages", WatchedResource(None, MESSAGES, None)),
    ("/me/messages", WatchedResource(None, MESSAGES, None)),
    ("me/mailFolders('Inbox')/messages", WatchedResource(None, FOLDER_MESSAGES, "Inbox")),
    ("/me/mailfolders('inbox')/messages", WatchedResource(None, FOLDER_MESSAGES, "inbox")),
    ("me/mailFolders/AAMkF1=/messages", WatchedResource(None, FOLDER_MESSAGES, "AAMkF1=")),
    ("users/bob@contoso.test/messages", WatchedResource("bob@contoso.test", MESSAGES, None)),
    ("Users/6f1c/mailFolders('sentitems')/messages?$select=subject",
     WatchedResource("6f1c", FOLDER_MESSAGES, "sentitems")),
    ("me/mailFolders", WatchedResource(None, FOLDERS, None)),
    ("users/6f1c/mailFolders", WatchedResource("6f1c", FOLDERS, None)),
])
def test_the_outlook_mail_resources_are_read(resource: str, watched: WatchedResource) -> None:
    assert parse_resource(resource) == watched


@pytest.mark.parametrize("resource", ["me/events", "me", "me/messages/AAMk1", "groups/1/conversations",
                                      "me/mailFolders('inbox')/childFolders", ""])
def test_other_resources_are_refused(resource: str) -> None:
    with pytest.raises(SubscriptionRequestInvalid):
        parse_resource(resource)


@pytest.mark.parametrize("url", ["https://hooks.example.org/x", "http://localhost:3000/n", "http://127.0.0.5/n",
                                 "http://[::1]:8080/n", "http://app.localhost/n"])
def test_https_anywhere_and_http_on_loopback_are_taken(url: str) -> None:
    assert checked_url(url, "notification", allow_http=False) == url


def test_http_elsewhere_only_when_allowed() -> None:
    with pytest.raises(SubscriptionRequestInvalid, match="NotificationUrl scheme='http' is not supported."):
        checked_url("http://hooks.example.org/x", "notification", allow_http=False)
    assert checked_url("http://hooks.example.org/x", "notification", allow_http=True)


def test_the_validation_token_is_added_to_the_query_the_url_has() -> None:
    url = with_query("https://h.example/n?tenant=a&x=", validationToken="Validation: a b")
    assert url == "https://h.example/n?tenant=a&x=&validationToken=Validation%3A+a+b"


def test_expiration_bounds() -> None:
    assert expiration("2026-12-02T12:10:00Z", NOW) == NOW + timedelta(minutes=45)
    assert expiration("2026-12-09T11:59:00+00:00", NOW) == datetime(2026, 12, 9, 11, 59, tzinfo=timezone.utc)
    with pytest.raises(SubscriptionExtensionError, match="10080 minutes"):
        expiration("2026-12-09T12:01:00Z", NOW)
    with pytest.raises(SubscriptionRequestInvalid):
        expiration("tomorrow", NOW)

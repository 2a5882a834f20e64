"""PyGithub, out of the box, against the GitHub twin: issues, labels, comments, sub-issues."""

import github
import pytest
from github import Auth, Github

from conftest import MEMBER_GITHUB, TOKEN


@pytest.fixture(scope="module")
def repo(github_url):
    client = Github(auth=Auth.Token(TOKEN), base_url=github_url, retry=None)
    return client.get_repo("contoso/onboarding")


def test_repository_reads_with_its_full_name(repo):
    assert repo.full_name == "contoso/onboarding"


def test_issue_create_read_update_list(repo):
    created = repo.create_issue(title="Sign in with a badge", body="As a visitor…", labels=[])
    again = repo.get_issue(created.number)
    assert again.title == "Sign in with a badge"
    assert again.state == "open"
    again.edit(title="Sign in with a badge or a code", state="closed", assignees=[MEMBER_GITHUB])
    fresh = repo.get_issue(created.number)
    assert fresh.title == "Sign in with a badge or a code"
    assert fresh.state == "closed"
    assert [a.login for a in fresh.assignees] == [MEMBER_GITHUB]
    numbers = [i.number for i in repo.get_issues(state="all")]
    assert created.number in numbers


def test_unassignable_person_is_refused_as_github_does(repo):
    issue = repo.create_issue(title="Assign a stranger")
    with pytest.raises(github.GithubException) as refused:
        issue.edit(assignees=["nobody-here"])
    assert refused.value.status == 422


def test_labels_create_read_update_and_attach(repo):
    label = repo.create_label(name="onboarding", color="0e8a16", description="First week")
    assert repo.get_label("Onboarding").name == "onboarding"
    label.edit(name="onboarding", color="1d76db", description="First weeks")
    assert repo.get_label("onboarding").color == "1d76db"
    issue = repo.create_issue(title="Labelled", labels=["onboarding"])
    issue.add_to_labels("onboarding")
    assert [l.name for l in repo.get_issue(issue.number).labels] == ["onboarding"]
    assert "onboarding" in [l.name for l in repo.get_labels()]


def test_comments_create_list_update_delete(repo):
    issue = repo.create_issue(title="Commented")
    comment = issue.create_comment("First note")
    assert [c.body for c in issue.get_comments()] == ["First note"]
    comment.edit("First note, edited")
    assert issue.get_comment(comment.id).body == "First note, edited"
    comment.delete()
    assert list(issue.get_comments()) == []


def test_sub_issues_link_and_list(repo):
    if not hasattr(github.Issue.Issue, "add_sub_issue"):
        pytest.skip("this PyGithub has no sub-issue API")
    parent = repo.create_issue(title="Epic: first week")
    child = repo.create_issue(title="Badge at the desk")
    parent.add_sub_issue(child.id)
    assert [s.number for s in parent.get_sub_issues()] == [child.number]

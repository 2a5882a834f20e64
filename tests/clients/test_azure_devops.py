"""Microsoft's azure-devops SDK, out of the box (its resource-location discovery included),
against the Azure DevOps twin: projects, work items, WIQL, work item types, comments."""

import pytest
from azure.devops.connection import Connection
from azure.devops.exceptions import AzureDevOpsServiceError
from azure.devops.v7_1.work.models import TeamContext
from azure.devops.v7_1.work_item_tracking.models import CommentCreate, CommentUpdate, JsonPatchOperation, Wiql
from msrest.authentication import BasicAuthentication

from conftest import MEMBER_AZURE, TOKEN

PROJECT = "Onboarding"


@pytest.fixture(scope="module")
def connection(azure_url):
    return Connection(base_url=azure_url, creds=BasicAuthentication("", TOKEN))


@pytest.fixture(scope="module")
def wit(connection):
    return connection.clients_v7_1.get_work_item_tracking_client()


def patch(**fields):
    return [JsonPatchOperation(op="add", path=f"/fields/{name}", value=value) for name, value in fields.items()]


def test_core_client_lists_and_reads_the_project(connection):
    core = connection.clients_v7_1.get_core_client()
    names = [p.name for p in core.get_projects()]
    assert PROJECT in names
    assert core.get_project(PROJECT).name == PROJECT


def test_work_item_create_read_update(wit):
    created = wit.create_work_item(
        patch(**{"System.Title": "Sign in with a badge", "System.Description": "<p>As a visitor</p>"}),
        PROJECT,
        "User Story",
    )
    read = wit.get_work_item(created.id, PROJECT)
    assert read.fields["System.Title"] == "Sign in with a badge"
    assert read.fields["System.State"] == "New"
    updated = wit.update_work_item(
        patch(**{"System.State": "Active", "System.AssignedTo": MEMBER_AZURE}), created.id, PROJECT
    )
    assert updated.rev == read.rev + 1
    assert updated.fields["System.State"] == "Active"
    assert updated.fields["System.AssignedTo"]["uniqueName"] == MEMBER_AZURE
    many = wit.get_work_items([created.id], PROJECT)
    assert [w.id for w in many] == [created.id]


def test_a_stranger_as_assignee_is_refused_as_the_service_does(wit):
    created = wit.create_work_item(patch(**{"System.Title": "Assign a stranger"}), PROJECT, "User Story")
    with pytest.raises(AzureDevOpsServiceError):
        wit.update_work_item(patch(**{"System.AssignedTo": "stranger@elsewhere.example"}), created.id, PROJECT)


def test_wiql_query_finds_created_items(wit):
    created = wit.create_work_item(patch(**{"System.Title": "Queried by WIQL"}), PROJECT, "User Story")
    query = Wiql(query=f"SELECT [System.Id] FROM WorkItems WHERE [System.TeamProject] = '{PROJECT}' ORDER BY [System.Id]")
    result = wit.query_by_wiql(query, team_context=TeamContext(project=PROJECT))
    assert created.id in [ref.id for ref in result.work_items]


def test_work_item_types_carry_states_and_transitions(wit):
    story = wit.get_work_item_type(PROJECT, "User Story")
    assert "New" in [s.name for s in story.states]
    first = story.transitions[""]
    assert first[0].to == "New"
    bug = wit.get_work_item_type(PROJECT, "Bug")
    resolving = [t for moves in bug.transitions.values() for t in moves if t.to == "Resolved"]
    assert resolving and all(t.actions == ["Microsoft.VSTS.Actions.Checkin"] for t in resolving)
    assert "User Story" in [t.name for t in wit.get_work_item_types(PROJECT)]


def test_comments_add_list_update(wit):
    created = wit.create_work_item(patch(**{"System.Title": "Commented"}), PROJECT, "User Story")
    comment = wit.add_comment(CommentCreate(text="First note"), PROJECT, created.id)
    listed = wit.get_comments(PROJECT, created.id)
    assert [c.text for c in listed.comments] == ["First note"]
    wit.update_comment(CommentUpdate(text="First note, edited"), PROJECT, created.id, comment.id)
    assert wit.get_comment(PROJECT, created.id, comment.id).text == "First note, edited"

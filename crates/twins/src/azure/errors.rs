//! The Azure DevOps error answers the twin gives: each variant carries the service's own message
//! (`TF…`/`VS…` codes), HTTP status and server exception type, and renders the service's body
//! `{"$id":"1","innerException":null,"message":…,"typeName":…,"typeKey":…,"errorCode":0,"eventId":…}`.
//!
//! Messages are the service's wording (clients match on the codes), not this crate's style.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

const WIT_SERVER: &str = "Microsoft.TeamFoundation.WorkItemTracking.Server";
const WEB_API: &str = "Microsoft.VisualStudio.Services.WebApi";
const WIKI_SERVER: &str = "Microsoft.TeamFoundation.Wiki.Server";

/// One refusal of the emulated API, shaped as Azure DevOps answers it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AzureError {
    /// A work item that does not exist (or was deleted).
    #[error("TF401232: Work item {id} does not exist, or you do not have permissions to read it.")]
    WorkItemNotFound { id: i64 },
    /// A link whose other end does not exist.
    #[error("TF401232: Work item {id} does not exist, or you do not have permissions to read it.")]
    LinkTargetNotFound { id: i64 },
    /// A project name or id the organization does not have.
    #[error(
        "TF200016: The following project does not exist: {name}. Verify that the name of the project is correct and that the project exists on the specified Azure DevOps Server."
    )]
    ProjectNotFound { name: String },
    /// A team the project does not have.
    #[error("TF400499: The team '{name}' does not exist in project '{project}'.")]
    TeamNotFound { name: String, project: String },
    /// A work item type the project's process does not have.
    #[error("VS402323: Work item type {name} does not exist.")]
    WorkItemTypeNotFound { name: String },
    /// A field rule failed (state not allowed, required field empty, identity unknown…).
    #[error("TF401320: Rule Error for field {field}. Error code: {flags}.")]
    RuleViolation { field: String, reference: String, flags: String, detail: String },
    /// A field the work item type does not have.
    #[error("TF51535: Cannot find field {name}.")]
    FieldNotFound { name: String },
    /// A field that cannot take this value or cannot be written.
    #[error("TF401326: Invalid field status '{status}' for field '{field}'.")]
    InvalidFieldStatus { status: String, field: String },
    /// A failed `test` operation of a JSON Patch document.
    #[error("VS403351: Test Operation for path {path} failed, value {current} was not equal to test value {expected}.")]
    TestFailed { path: String, current: String, expected: String },
    /// A JSON Patch document the service cannot apply.
    #[error("{message}")]
    PatchFailed { message: String },
    /// An area or iteration path outside the item's project.
    #[error("TF401347: Invalid tree name given for work item {id}, field '{field}'.")]
    InvalidTreeName { id: i64, field: String },
    /// A classification node named like a sibling (names are compared ignoring case).
    #[error(
        "VS402371: Classification node name {name} is already in use by a different child of parent classification node {parent}. Choose a different name and try again."
    )]
    NodeDuplicateName { name: String, parent: String },
    /// A classification node path that does not exist (message not verified against the service).
    #[error("VS402485: The node name or path '{path}' could not be found.")]
    NodeNotFound { path: String },
    /// A `bypassRules` write dated before the previous revision.
    #[error("VS402625: Dates must be increasing with each revision.")]
    DatesNotIncreasing,
    /// A `bypassRules` write dated in the future.
    #[error("VS402624: The date of a revision cannot be in the future.")]
    DateInFuture,
    /// A second parent for one child.
    #[error(
        "TF201036: You cannot add a {end} link between work items {source_id} and {target_id} because a work item can have only one Parent link."
    )]
    ExtraParent { end: &'static str, source_id: i64, target_id: i64 },
    /// A hierarchy link that would make an item its own ancestor.
    #[error(
        "TF201063: You cannot add a link between work items {source_id} and {target_id} because it would create a circular relationship."
    )]
    CircularLink { source_id: i64, target_id: i64 },
    /// A link that already exists.
    #[error("TF201035: The link between work items {source_id} and {target_id} already exists.")]
    DuplicateLink { source_id: i64, target_id: i64 },
    /// A relation type the service does not know.
    #[error("VS402324: The relation type '{rel}' does not exist.")]
    UnknownRelationType { rel: String },
    /// An argument the service refuses (missing body, bad id list, batch too large…).
    #[error("{message}")]
    BadArgument { message: String },
    /// A WIQL statement that does not parse.
    #[error("TF51006: Query syntax error: {detail}. The error is caused by «{near}».")]
    QuerySyntax { detail: String, near: String },
    /// A WIQL statement naming an unknown field.
    #[error("TF51005: The query references a field that does not exist. The error is caused by «{name}».")]
    QueryUnknownField { name: String },
    /// A date literal with a time while the query runs at date precision.
    #[error(
        "You cannot supply a time with the date when running a query using date precision. The error is caused by «{clause}»."
    )]
    QueryTimeWithDatePrecision { clause: String },
    /// A literal that is not valid for the field it is compared with.
    #[error("TF51011: The specified value '{value}' is not valid for field '{field}'.")]
    QueryInvalidValue { value: String, field: String },
    /// A query whose result is larger than the service returns.
    #[error(
        "VS402337: The number of work items returned exceeds the size limit of {limit}. Change the query to return fewer work items."
    )]
    QueryTooLarge { limit: usize },
    /// A restore of a work item that is not in the recycle bin.
    #[error("VS402861: Work item {id} is not deleted and cannot be restored.")]
    NotDeleted { id: i64 },
    /// A comment that does not exist.
    #[error("Comment {comment_id} does not exist on work item {work_item_id}.")]
    CommentNotFound { work_item_id: i64, comment_id: i64 },
    /// A Markdown field asked to go back to HTML.
    #[error("VS403600: The format of field '{field}' cannot be changed from Markdown to HTML.")]
    MarkdownIsFinal { field: String },
    /// No `api-version` in the query or the `Accept` header.
    #[error(
        "No api-version was supplied for the \"{method}\" request. The version must be supplied either as part of the Accept header (e.g. \"application/json; api-version=1.0\") or as a query parameter (e.g. \"?api-version=1.0\")."
    )]
    ApiVersionMissing { method: String },
    /// An `api-version` that does not parse.
    #[error("The api-version '{raw}' is not valid. Specify a version such as '7.1' or '7.1-preview.4'.")]
    ApiVersionInvalid { raw: String },
    /// An `api-version` above what the service serves.
    #[error(
        "The requested REST API version of {version} is out of range for this server. The latest REST API version for this server is {latest}."
    )]
    ApiVersionOutOfRange { version: String, latest: String },
    /// A preview-only resource asked for without `-preview`.
    #[error(
        "The requested version \"{version}\" of the resource is under preview. The -preview flag must be supplied in the api-version for such requests. For example: \"{version}-preview\""
    )]
    PreviewRequired { version: String },
    /// A JSON Patch request sent with another content type.
    #[error(
        "The request indicated a Content-Type of \"{given}\" for method type \"{method}\" which is not supported. Valid content types for this method are: application/json-patch+json."
    )]
    UnsupportedContentType { given: String, method: String },
    /// No or wrong credentials.
    #[error("TF400813: The user '' is not authorized to access this resource.")]
    Unauthorized,
    /// The request budget is spent.
    #[error(
        "TF400733: The request has been canceled: Request was blocked due to exceeding usage of resource '{resource}' in namespace 'User'."
    )]
    RateLimited { resource: String },
    /// A route the twin does not serve.
    #[error("The resource cannot be found.")]
    RouteNotFound,
    /// A wiki name or id the project does not have.
    #[error("The wiki '{name}' does not exist.")]
    WikiNotFound { name: String },
    /// A wiki page path or id that does not exist.
    #[error("Wiki page ‘{path}’ could not be found. Ensure that the path of the page is correct and the page exists.")]
    WikiPageNotFound { path: String },
    /// A page whose parent page does not exist.
    #[error("One or more ancestor pages of the page '{path}' does not exist.")]
    WikiAncestorNotFound { path: String },
    /// A create (no `If-Match`) of a page that exists.
    #[error(
        "The page '{path}' specified in the add operation already exists in the wiki. Please specify a new page path."
    )]
    WikiPageExists { path: String },
    /// An edit whose `If-Match` is not the page's current version.
    #[error(
        "The page '{path}' has been updated by someone else since you last read it. Get the latest version of the page and try again."
    )]
    WikiPageConflict { path: String },
    /// An `If-Match` that is not a version id.
    #[error("The value of the If-Match header is not a valid version. Specify the ETag of the page.")]
    WikiIfMatchInvalid,
}

impl AzureError {
    /// The HTTP status the service answers with.
    pub fn status(&self) -> StatusCode {
        use AzureError::*;
        match self {
            WorkItemNotFound { .. }
            | LinkTargetNotFound { .. }
            | ProjectNotFound { .. }
            | TeamNotFound { .. }
            | WorkItemTypeNotFound { .. }
            | CommentNotFound { .. }
            | RouteNotFound
            | WikiNotFound { .. }
            | WikiPageNotFound { .. }
            | WikiAncestorNotFound { .. }
            | NodeNotFound { .. } => StatusCode::NOT_FOUND,
            NodeDuplicateName { .. } => StatusCode::CONFLICT,
            TestFailed { .. } | WikiPageConflict { .. } => StatusCode::PRECONDITION_FAILED,
            UnsupportedContentType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Unauthorized => StatusCode::UNAUTHORIZED,
            RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            // The service answers this one with a 500 (observed; clients match the typeKey).
            WikiPageExists { .. } => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// The server exception's short name (`typeKey`).
    pub fn type_key(&self) -> &'static str {
        use AzureError::*;
        match self {
            WorkItemNotFound { .. } => "WorkItemUnauthorizedAccessException",
            LinkTargetNotFound { .. } => "WorkItemLinkEndUnauthorizedAccessException",
            ProjectNotFound { .. } => "ProjectDoesNotExistWithNameException",
            TeamNotFound { .. } => "TeamNotFoundException",
            WorkItemTypeNotFound { .. } => "WorkItemTypeNotFoundException",
            RuleViolation { .. } | InvalidFieldStatus { .. } => "RuleValidationException",
            FieldNotFound { .. } => "WorkItemFieldInvalidException",
            TestFailed { .. } => "TestPatchOperationFailedException",
            PatchFailed { .. } => "PatchOperationFailedException",
            ExtraParent { .. } => "WorkItemLinkAddExtraParentException",
            InvalidTreeName { .. } => "WorkItemFieldInvalidTreeNameException",
            NodeDuplicateName { .. } => "ClassificationNodeDuplicateNameException",
            NodeNotFound { .. } => "ClassificationNodeNotFoundException",
            DatesNotIncreasing => "WorkItemDatesNotIncreasingException",
            DateInFuture => "WorkItemDateInFutureException",
            CircularLink { .. } => "WorkItemLinkCircularException",
            DuplicateLink { .. } => "WorkItemLinkAlreadyExistsException",
            UnknownRelationType { .. } => "WorkItemRelationTypeNotFoundException",
            BadArgument { .. } => "ArgumentException",
            QuerySyntax { .. } => "SyntaxException",
            QueryUnknownField { .. } | QueryTimeWithDatePrecision { .. } | QueryInvalidValue { .. } => "QueryException",
            QueryTooLarge { .. } => "WorkItemTrackingQueryResultSizeLimitExceededException",
            NotDeleted { .. } => "WorkItemInvalidRestoreRequestException",
            CommentNotFound { .. } => "CommentNotFoundException",
            MarkdownIsFinal { .. } => "WorkItemFieldInvalidException",
            ApiVersionMissing { .. } => "VssVersionNotSpecifiedException",
            ApiVersionInvalid { .. } => "VssInvalidApiVersionException",
            ApiVersionOutOfRange { .. } => "VssVersionOutOfRangeException",
            PreviewRequired { .. } => "VssInvalidPreviewVersionException",
            UnsupportedContentType { .. } => "VssRequestContentTypeNotSupportedException",
            Unauthorized => "UnauthorizedRequestException",
            RateLimited { .. } => "RequestBlockedException",
            RouteNotFound => "ResourceNotFoundException",
            WikiNotFound { .. } => "WikiNotFoundException",
            WikiPageNotFound { .. } => "WikiPageNotFoundException",
            WikiAncestorNotFound { .. } => "WikiAncestorPageNotFoundException",
            WikiPageExists { .. } => "WikiPageAlreadyExistsException",
            WikiPageConflict { .. } => "WikiPageHasConflictsException",
            WikiIfMatchInvalid => "InvalidArgumentValueException",
        }
    }

    /// The assembly-qualified server exception type (`typeName`).
    pub fn type_name(&self) -> String {
        use AzureError::*;
        let assembly = match self {
            TestFailed { .. } | PatchFailed { .. } => WEB_API,
            ApiVersionMissing { .. }
            | ApiVersionInvalid { .. }
            | ApiVersionOutOfRange { .. }
            | PreviewRequired { .. }
            | UnsupportedContentType { .. } => WEB_API,
            ProjectNotFound { .. } => "Microsoft.TeamFoundation.Core.WebApi",
            Unauthorized | RateLimited { .. } | RouteNotFound | BadArgument { .. } => {
                "Microsoft.TeamFoundation.Framework.Server"
            }
            TeamNotFound { .. } => "Microsoft.Azure.Devops.Teams.Service",
            WikiIfMatchInvalid => "Microsoft.TeamFoundation.SourceControl.WebServer",
            WikiNotFound { .. }
            | WikiPageNotFound { .. }
            | WikiAncestorNotFound { .. }
            | WikiPageExists { .. }
            | WikiPageConflict { .. } => WIKI_SERVER,
            _ => WIT_SERVER,
        };
        let namespace = match (self, assembly) {
            (PatchFailed { .. } | TestFailed { .. }, _) => format!("{WEB_API}.Patch"),
            (BadArgument { .. }, _) => "System".to_string(),
            (_, a) => a.to_string(),
        };
        format!("{namespace}.{}, {assembly}", self.type_key())
    }

    /// The service's `eventId` (3200 for work item tracking, 3000 elsewhere).
    pub fn event_id(&self) -> u32 {
        use AzureError::*;
        match self {
            WikiIfMatchInvalid => 0,
            ApiVersionMissing { .. }
            | ApiVersionInvalid { .. }
            | ApiVersionOutOfRange { .. }
            | PreviewRequired { .. }
            | UnsupportedContentType { .. }
            | Unauthorized
            | RateLimited { .. }
            | RouteNotFound
            | WikiNotFound { .. }
            | WikiPageNotFound { .. }
            | WikiAncestorNotFound { .. }
            | WikiPageExists { .. }
            | WikiPageConflict { .. } => 3000,
            _ => 3200,
        }
    }

    /// The JSON body the service sends with this error.
    pub fn body(&self) -> Value {
        let mut body = json!({
            "$id": "1",
            "innerException": null,
            "message": self.to_string(),
            "typeName": self.type_name(),
            "typeKey": self.type_key(),
            "errorCode": 0,
            "eventId": self.event_id(),
        });
        if let AzureError::RuleViolation { reference, flags, detail, .. } = self {
            body["customProperties"] = json!({
                "FieldReferenceName": reference,
                "FieldStatusFlags": flags.to_lowercase(),
                "ErrorMessage": detail,
                "RuleValidationErrors": [{
                    "fieldReferenceName": reference,
                    "fieldStatusFlags": flags.to_lowercase(),
                    "errorMessage": detail,
                }],
            });
        }
        body
    }
}

impl IntoResponse for AzureError {
    fn into_response(self) -> Response {
        let mut response = (self.status(), axum::Json(self.body())).into_response();
        if matches!(self, AzureError::Unauthorized) {
            response.headers_mut().insert(
                "www-authenticate",
                axum::http::HeaderValue::from_static(
                    "Bearer authorization_uri=https://login.microsoftonline.com/common, Basic realm=\"https://dev.azure.com/\"",
                ),
            );
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_carry_the_service_shape() {
        let cases = [
            (AzureError::WorkItemNotFound { id: 7 }, 404, "WorkItemUnauthorizedAccessException", 3200),
            (
                AzureError::TestFailed { path: "/rev".into(), current: "2".into(), expected: "1".into() },
                412,
                "TestPatchOperationFailedException",
                3200,
            ),
            (
                AzureError::QueryTooLarge { limit: 20000 },
                400,
                "WorkItemTrackingQueryResultSizeLimitExceededException",
                3200,
            ),
            (AzureError::WikiPageConflict { path: "/A".into() }, 412, "WikiPageHasConflictsException", 3000),
            (AzureError::Unauthorized, 401, "UnauthorizedRequestException", 3000),
        ];
        for (error, status, key, event) in cases {
            let body = error.body();
            assert_eq!(error.status().as_u16(), status, "{error}");
            assert_eq!(body["typeKey"], key);
            assert_eq!(body["eventId"], event);
            assert_eq!(body["$id"], "1");
            assert_eq!(body["errorCode"], 0);
            assert!(body["innerException"].is_null());
            assert!(body["typeName"].as_str().unwrap().contains(key));
        }
    }

    #[test]
    fn messages_carry_the_service_codes() {
        let e = AzureError::WorkItemNotFound { id: 12 };
        assert_eq!(e.to_string(), "TF401232: Work item 12 does not exist, or you do not have permissions to read it.");
        let e = AzureError::TestFailed { path: "/rev".into(), current: "5".into(), expected: "4".into() };
        assert!(e.to_string().starts_with("VS403351: Test Operation for path /rev failed"));
        let e = AzureError::RuleViolation {
            field: "State".into(),
            reference: "System.State".into(),
            flags: "InvalidListValue".into(),
            detail: "x".into(),
        };
        assert_eq!(e.to_string(), "TF401320: Rule Error for field State. Error code: InvalidListValue.");
        assert_eq!(e.body()["customProperties"]["FieldReferenceName"], "System.State");
    }
}

"""The numbers of kvstrail as enums (generated; do not edit).

Written by tools/kvst_gen_pyenums.py from the #defines of the public headers
(include/kvstrail/); rerun it after adding a number there. The
'pyenums-regen' test fails when this file and the headers differ.
"""

import enum

__all__ = [
    "Action",
    "FindingCode",
    "Status",
    "Principal",
    "Credential",
    "Severity",
    "Access",
    "Outcome",
]


class Action(enum.IntEnum):
    """The KVS actions, numbered as KVST_ACTION_* (Action.CreateStream == 1).
    KVST_ACTION_NONE is not a member: records of other services have action
    None.
    """

    CreateStream = 1
    DeleteStream = 2
    DescribeStream = 3
    GetDataEndpoint = 4
    ListStreams = 5
    ListTagsForStream = 6
    TagStream = 7
    UntagStream = 8
    UpdateDataRetention = 9
    UpdateStream = 10
    CreateSignalingChannel = 11
    DeleteEdgeConfiguration = 12
    DeleteSignalingChannel = 13
    DescribeEdgeConfiguration = 14
    DescribeImageGenerationConfiguration = 15
    DescribeMappedResourceConfiguration = 16
    DescribeMediaStorageConfiguration = 17
    DescribeNotificationConfiguration = 18
    DescribeSignalingChannel = 19
    DescribeStreamStorageConfiguration = 20
    GetSignalingChannelEndpoint = 21
    ListEdgeAgentConfigurations = 22
    ListSignalingChannels = 23
    ListTagsForResource = 24
    StartEdgeConfigurationUpdate = 25
    TagResource = 26
    UntagResource = 27
    UpdateImageGenerationConfiguration = 28
    UpdateMediaStorageConfiguration = 29
    UpdateNotificationConfiguration = 30
    UpdateSignalingChannel = 31
    UpdateStreamStorageConfiguration = 32
    GetMedia = 33
    GetClip = 34
    GetDASHStreamingSessionURL = 35
    GetHLSStreamingSessionURL = 36
    GetImages = 37
    GetMediaForFragmentList = 38
    ListFragments = 39
    GetIceServerConfig = 40
    SendAlexaOfferToMaster = 41
    JoinStorageSession = 42
    JoinStorageSessionAsViewer = 43
    PutMedia = 44
    ConnectAsMaster = 45
    ConnectAsViewer = 46


class FindingCode(enum.IntEnum):
    """Validation finding codes, KVST_F_* without the prefix
    (FindingCode.MEDIA_TYPE == 112). Numbers are frozen; docs/findings.md
    gives each one's rule and severity.
    """

    EVENT_VERSION_FORMAT = 1
    EVENT_VERSION_MAJOR = 2
    EVENT_TIME_FORMAT = 3
    EVENT_TIME_CALENDAR = 4
    EVENT_TIME_EARLY = 5
    EVENT_SOURCE_SPACE = 6
    EVENT_SOURCE_FORMAT = 7
    REGION_FORMAT = 8
    SOURCE_IP_FORMAT = 9
    EVENT_ID_FORMAT = 10
    ACCOUNT_ID_FORMAT = 11
    REQUIRED_FIELD_MISSING = 12
    ERROR_INCONSISTENT = 13
    FIELD_TYPE = 14
    TIMESTAMP_FORMAT = 15
    VERSION_FIELD_MISSING = 16
    DUPLICATE_KEY = 17
    LONE_SURROGATE = 18
    MEMBER_TYPE = 100
    MEMBER_LENGTH = 101
    MEMBER_PATTERN = 102
    MEMBER_ENUM = 103
    MEMBER_RANGE = 104
    MEMBER_COUNT = 105
    MEMBER_REQUIRED = 106
    MEMBER_UNKNOWN = 107
    STREAM_ID_MISSING = 108
    STREAM_NAME = 109
    STREAM_ARN = 110
    KMS_KEY_ARN = 111
    MEDIA_TYPE = 112
    ARN_OTHER_ACCOUNT = 113
    ARN_CREATION_EARLY = 114
    TAG_KEY = 115
    TAG_VALUE = 116
    VERSION_STRING = 117
    NEXT_TOKEN = 118
    RESOURCE_MISMATCH = 119
    ROOT_ACCESS_KEY = 200
    IDENTITY_TYPE_UNKNOWN = 201
    ACCESS_KEY_UNRECOGNISED = 202
    IMDSV1 = 203
    CROSS_ACCOUNT = 204
    IDENTITY_MISSING = 205
    CREDENTIAL_MISMATCH = 206
    DIGEST_MEMBER_MISSING = 300
    DIGEST_MEMBER_TYPE = 301
    DIGEST_TIME = 302
    DIGEST_HASH = 303
    DIGEST_ALGORITHM = 304
    DIGEST_FINGERPRINT = 305
    DIGEST_SIGNATURE = 306
    DIGEST_ACCOUNT = 307
    DIGEST_PREVIOUS_PARTIAL = 308
    DIGEST_TIME_ORDER = 309
    DIGEST_LOG_FILE = 310


class Status(enum.IntEnum):
    """Status codes, KVST_E_* without the prefix (Status.SYNTAX == -1); KVST_OK
    (0) is Status.OK.
    """

    OK = 0
    SYNTAX = -1
    ENCODING = -2
    TRUNCATED = -3
    LIMIT = -4
    NOMEM = -5
    GZIP = -6
    NOT_CLOUDTRAIL = -7
    ABORTED = -8
    INVAL = -9
    ABI = -10
    IO = -11
    NOT_FOUND = -12


class Principal(enum.IntEnum):
    """Principal kinds, KVST_PRINCIPAL_* without the prefix. Identity.principal
    gives the library's name of one as a str ("IAMUser");
    kvst_principal_name() maps the two.
    """

    UNKNOWN = 0
    ROOT = 1
    IAM_USER = 2
    ASSUMED_ROLE = 3
    ROLE = 4
    FEDERATED_USER = 5
    AWS_SERVICE = 6
    AWS_ACCOUNT = 7
    IDENTITY_CENTER_USER = 8
    SAML_USER = 9
    WEB_IDENTITY_USER = 10
    DIRECTORY = 11


class Credential(enum.IntEnum):
    """Credential kinds of an accessKeyId, KVST_CREDENTIAL_* without the
    prefix.
    """

    NONE = 0
    LONG_TERM = 1
    TEMPORARY = 2
    SERVICE_BEARER = 3
    UNKNOWN = 4


class Severity(enum.IntEnum):
    """Finding severities, KVST_SEVERITY_* without the prefix. Finding.severity
    gives the name in lower case ("warning").
    """

    INFO = 1
    WARNING = 2
    ERROR = 3


class Access(enum.IntEnum):
    """What a KVS call does to the video, KVST_ACCESS_* without the prefix
    (Access.MEDIA_READ == 1); the JSON contract spells it in lower case with
    hyphens ("media-read"). KVST_ACCESS_NONE is not a member: records of
    other services have access None. Since 1.1.
    """

    MEDIA_READ = 1
    MEDIA_WRITE = 2
    SIGNALING = 3
    CONFIG_READ = 4
    CONFIG_WRITE = 5
    DELETE = 6


class Outcome(enum.IntEnum):
    """Whether a call succeeded, KVST_OUTCOME_* without the prefix
    (Outcome.FAILURE == 2); the JSON contract spells it in lower case
    ("failure"). KVST_OUTCOME_NONE (a broken record) is not a member. Since
    1.1.
    """

    SUCCESS = 1
    FAILURE = 2

#!/usr/bin/env python3
"""Deterministic synthetic AWS CloudTrail log-file generator (stdlib only).

Produces {"Records":[...]} minified on one line, like real CloudTrail
delivery files.  ~60% kinesisvideo.amazonaws.com events, ~40% other
services (s3, ec2, sts, iam, kms) with larger nested requestParameters.

Usage:
  gen_trail.py --records N --seed S --out FILE [--gzip] [--kvs-share F]

--kvs-share F makes F of the records KVS ones (default 0.60, the file the
shared copy of this generator writes, byte for byte); 0.02 gives an
organisation-like trail, where most records are other services'.
(This copy, in bench/, adds only that option.)

With --gzip the output is gzip level 6 (CloudTrail default-ish); mtime is
fixed to 0 so output bytes are reproducible for a given seed.
"""
import argparse
import datetime
import gzip
import json
import random
import sys

REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-northeast-1",
           "ap-southeast-2", "ca-central-1", "sa-east-1"]
ACCOUNTS = ["123456789012", "210987654321", "111122223333", "444455556666", "777788889999"]
KVS_ACTIONS = [
    # (name, weight, readOnly)
    ("CreateStream", 6, False),
    ("DeleteStream", 3, False),
    ("DescribeStream", 22, True),
    ("GetDataEndpoint", 30, True),
    ("ListStreams", 12, True),
    ("ListTagsForStream", 8, True),
    ("TagStream", 4, False),
    ("UntagStream", 3, False),
    ("UpdateDataRetention", 6, False),
    ("UpdateStream", 6, False),
]
API_NAMES = ["PUT_MEDIA", "GET_MEDIA", "LIST_FRAGMENTS", "GET_MEDIA_FOR_FRAGMENT_LIST",
             "GET_HLS_STREAMING_SESSION_URL", "GET_DASH_STREAMING_SESSION_URL",
             "GET_CLIP", "GET_IMAGES"]
USER_AGENTS = [
    "aws-sdk-java/1.12.470 Linux/5.10.184-175.731.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.7+7-LTS java/17.0.7 vendor/Amazon.com_Inc. cfg/retry-mode/standard",
    "Boto3/1.28.25 md/Botocore#1.31.25 ua/2.0 os/linux#5.15.0-1040-aws md/arch#x86_64 lang/python#3.10.12 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.31.25",
    "aws-cli/2.13.9 Python/3.11.4 Linux/6.2.0-1009-aws exe/x86_64.ubuntu.22 prompt/off command/kinesisvideo.describe-stream",
    "AWS-KVS-ProducerSDK-C/3.4.1 Linux/4.19.0-rpi armv7l",
    "aws-sdk-go-v2/1.21.0 os/linux lang/go#1.21.1 md/GOOS#linux md/GOARCH#amd64 api/kinesisvideo#1.18.5",
    "console.amazonaws.com",
    "aws-internal/3 aws-sdk-java/1.12.501 Linux/5.10.186-157.751.amzn2int.x86_64 OpenJDK_64-Bit_Server_VM/25.372-b08 java/1.8.0_372 vendor/Oracle_Corporation cfg/retry-mode/standard",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/116.0.0.0 Safari/537.36",
]
TLS = [("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256"), ("TLSv1.3", "TLS_AES_128_GCM_SHA256"),
       ("TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384")]
NAMES = ["frontdoor", "garage", "lobby-cam", "dock-03", "warehouse-north", "parking-lvl2",
         "baby-monitor", "drone-feed", "line7-qc", "retail-entrance", "kiosk-12", "patio"]
ROLE_NAMES = ["KVSProducerRole", "AdminRole", "OrganizationAccountAccessRole",
              "AWSReservedSSO_PowerUserAccess_0123456789abcdef", "lambda-kvs-ingest-role",
              "ec2-camera-gateway"]
USERS = ["alice", "bob", "ci-deployer", "carol.smith", "svc-video", "dave"]
SERVICES = ["lambda.amazonaws.com", "ec2.amazonaws.com", "cloudformation.amazonaws.com",
            "kinesisvideo.amazonaws.com", "iot.amazonaws.com"]


class Gen:
    kvs_share = 0.60

    def __init__(self, seed):
        self.r = random.Random(seed)
        self.t = datetime.datetime(2024, 3, 1, 0, 0, 0, tzinfo=datetime.timezone.utc)

    # ---- primitives -------------------------------------------------------
    def uuid(self):
        h = "%032x" % self.r.getrandbits(128)
        return "%s-%s-4%s-%s-%s" % (h[0:8], h[8:12], h[13:16], h[16:20], h[20:32])

    def hexs(self, n):
        return "%0*x" % (n, self.r.getrandbits(4 * n))

    def alnum(self, n, alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    def ip(self):
        r = self.r
        return "%d.%d.%d.%d" % (r.choice([3, 13, 18, 34, 52, 54, 73, 98, 203]), r.randrange(256),
                                r.randrange(256), r.randrange(1, 255))

    def iso(self, dt):
        return dt.strftime("%Y-%m-%dT%H:%M:%SZ")

    def stream_name(self):
        return "%s-%s" % (self.r.choice(NAMES), self.alnum(4, "abcdefghijklmnopqrstuvwxyz0123456789"))

    def stream_arn(self, region, account, name):
        return "arn:aws:kinesisvideo:%s:%s:stream/%s/%d" % (
            region, account, name, 1600000000000 + self.r.randrange(100000000000))

    def kms_arn(self, region, account):
        return "arn:aws:kms:%s:%s:key/%s" % (region, account, self.uuid())

    def tags(self, n):
        keys = ["Environment", "Owner", "CostCenter", "Site", "Project", "DataClass", "Team"]
        vals = ["prod", "staging", "dev", "video-platform", "cc-1042", "site-ber-1", "restricted"]
        ks = self.r.sample(keys, n)
        return {k: self.r.choice(vals) for k in ks}

    # ---- userIdentity -----------------------------------------------------
    def user_identity(self, account, event_time):
        r = self.r
        x = r.random()
        ak = "ASIA" + self.alnum(16)
        if x < 0.38:  # AssumedRole
            role = r.choice(ROLE_NAMES)
            rid = "AROA" + self.alnum(17)
            sess = r.choice(["i-0" + self.hexs(16), "botocore-session-%d" % r.randrange(10**10),
                             r.choice(USERS) + "@example.com", "kvs-producer-%04d" % r.randrange(10000)])
            ui = {
                "type": "AssumedRole",
                "principalId": "%s:%s" % (rid, sess),
                "arn": "arn:aws:sts::%s:assumed-role/%s/%s" % (account, role, sess),
                "accountId": account,
                "accessKeyId": ak,
                "sessionContext": {
                    "sessionIssuer": {
                        "type": "Role",
                        "principalId": rid,
                        "arn": "arn:aws:iam::%s:role/%s" % (account, role),
                        "accountId": account,
                        "userName": role,
                    },
                    "webIdFederationData": {},
                    "attributes": {
                        "creationDate": self.iso(event_time - datetime.timedelta(minutes=r.randrange(1, 700))),
                        "mfaAuthenticated": r.choice(["false", "false", "true"]),
                    },
                },
            }
            if r.random() < 0.3:
                ui["sessionContext"]["ec2RoleDelivery"] = "2.0"
            if r.random() < 0.15:
                ui["invokedBy"] = r.choice(SERVICES)
            return ui
        if x < 0.62:  # IAMUser
            u = r.choice(USERS)
            ui = {"type": "IAMUser", "principalId": "AIDA" + self.alnum(17),
                  "arn": "arn:aws:iam::%s:user/%s" % (account, u), "accountId": account,
                  "accessKeyId": "AKIA" + self.alnum(16), "userName": u}
            if r.random() < 0.4:
                ui["sessionContext"] = {"sessionIssuer": {}, "webIdFederationData": {},
                                        "attributes": {"creationDate": self.iso(event_time - datetime.timedelta(minutes=r.randrange(1, 60))),
                                                       "mfaAuthenticated": "true"}}
            return ui
        if x < 0.74:  # AWSService
            return {"type": "AWSService", "invokedBy": r.choice(SERVICES)}
        if x < 0.80:  # Root
            return {"type": "Root", "principalId": account, "arn": "arn:aws:iam::%s:root" % account,
                    "accountId": account, "accessKeyId": ak,
                    "sessionContext": {"sessionIssuer": {}, "webIdFederationData": {},
                                       "attributes": {"creationDate": self.iso(event_time - datetime.timedelta(minutes=5)),
                                                      "mfaAuthenticated": "true"}}}
        if x < 0.87:  # FederatedUser
            u = r.choice(USERS)
            return {"type": "FederatedUser",
                    "principalId": "%s:%s" % (account, u),
                    "arn": "arn:aws:sts::%s:federated-user/%s" % (account, u),
                    "accountId": account, "accessKeyId": ak,
                    "sessionContext": {"sessionIssuer": {"type": "IAMUser", "principalId": "AIDA" + self.alnum(17),
                                                         "arn": "arn:aws:iam::%s:user/%s" % (account, u),
                                                         "accountId": account, "userName": u},
                                       "webIdFederationData": {},
                                       "attributes": {"creationDate": self.iso(event_time - datetime.timedelta(minutes=30)),
                                                      "mfaAuthenticated": "false"}}}
        if x < 0.93:  # AWSAccount
            other = r.choice(ACCOUNTS)
            return {"type": "AWSAccount", "principalId": "AIDA" + self.alnum(17), "accountId": other}
        # IdentityCenterUser (CloudTrail eventVersion 1.10 style)
        return {"type": "IdentityCenterUser", "accountId": account,
                "onBehalfOf": {"userId": self.uuid(),
                               "identityStoreArn": "arn:aws:identitystore::%s:identitystore/d-%s" % (account, self.hexs(10))},
                "credentialId": self.hexs(40)}

    # ---- KVS payloads -----------------------------------------------------
    def kvs(self, action, region, account):
        r = self.r
        name = self.stream_name()
        arn = self.stream_arn(region, account, name)
        req, resp = None, None
        by_arn = r.random() < 0.5
        ident = {"streamARN": arn} if by_arn else {"streamName": name}
        if action == "CreateStream":
            req = {"deviceName": "cam-%s" % self.alnum(6, "abcdef0123456789"), "streamName": name,
                   "mediaType": "video/h264", "dataRetentionInHours": r.choice([0, 2, 24, 72, 168, 720])}
            if r.random() < 0.5:
                req["kmsKeyId"] = self.kms_arn(region, account)
            if r.random() < 0.5:
                req["tags"] = self.tags(r.randrange(1, 4))
            resp = {"streamARN": arn}
        elif action == "DeleteStream":
            req = {"streamARN": arn, "currentVersion": self.alnum(20, "abcdefghijklmnopqrstuvwxyz0123456789")}
        elif action == "DescribeStream":
            req = ident
        elif action == "GetDataEndpoint":
            req = dict(ident)
            req["aPIName"] = r.choice(API_NAMES)
            resp = {"dataEndpoint": "https://%s.kinesisvideo.%s.amazonaws.com" % (self.alnum(9, "abcdefghijklmnopqrstuvwxyz0123456789"), region)}
        elif action == "ListStreams":
            req = {"maxResults": r.choice([10, 25, 100, 1000])}
            if r.random() < 0.4:
                req["streamNameCondition"] = {"comparisonOperator": "BEGINS_WITH",
                                              "comparisonValue": r.choice(NAMES)[:4]}
            if r.random() < 0.2:
                req["nextToken"] = self.alnum(44, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        elif action == "ListTagsForStream":
            req = ident
        elif action == "TagStream":
            req = dict(ident)
            req["tags"] = self.tags(r.randrange(1, 4))
        elif action == "UntagStream":
            req = dict(ident)
            req["tagKeyList"] = r.sample(["Environment", "Owner", "CostCenter", "Site", "Project"], r.randrange(1, 3))
        elif action == "UpdateDataRetention":
            req = {"streamName": name, "currentVersion": self.alnum(20, "abcdefghijklmnopqrstuvwxyz0123456789"),
                   "operation": r.choice(["INCREASE_DATA_RETENTION", "DECREASE_DATA_RETENTION"]),
                   "dataRetentionChangeInHours": r.choice([1, 24, 48, 168])}
        elif action == "UpdateStream":
            req = {"streamARN": arn, "currentVersion": self.alnum(20, "abcdefghijklmnopqrstuvwxyz0123456789"),
                   "deviceName": "cam-%s" % self.alnum(6, "abcdef0123456789"), "mediaType": "video/h264"}
        return req, resp, arn

    # ---- other services ---------------------------------------------------
    def other(self, region, account):
        r = self.r
        x = r.random()
        res = None
        if x < 0.30:
            src = "s3.amazonaws.com"
            ev = r.choice(["PutBucketPolicy", "GetBucketAcl", "PutBucketEncryption", "ListBuckets", "CreateBucket"])
            bucket = "corp-%s-%s" % (r.choice(["logs", "media", "backup", "artifacts"]), self.alnum(6, "abcdefghijklmnopqrstuvwxyz0123456789"))
            req = {"bucketName": bucket, "Host": "%s.s3.%s.amazonaws.com" % (bucket, region)}
            if ev == "PutBucketPolicy":
                req["bucketPolicy"] = {"Version": "2012-10-17", "Statement": [
                    {"Sid": "AWSCloudTrailAclCheck%d" % i, "Effect": "Allow",
                     "Principal": {"Service": "cloudtrail.amazonaws.com"},
                     "Action": ["s3:GetBucketAcl", "s3:PutObject"],
                     "Resource": ["arn:aws:s3:::%s" % bucket, "arn:aws:s3:::%s/AWSLogs/%s/*" % (bucket, account)],
                     "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control",
                                                    "aws:SourceArn": "arn:aws:cloudtrail:%s:%s:trail/main" % (region, account)}}}
                    for i in range(r.randrange(1, 4))]}
                req["policy"] = ""
            elif ev == "PutBucketEncryption":
                req["ServerSideEncryptionConfiguration"] = {"xmlns": "http://s3.amazonaws.com/doc/2006-03-01/",
                    "Rule": {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms",
                             "KMSMasterKeyID": self.kms_arn(region, account)}, "BucketKeyEnabled": True}}
                req["encryption"] = ""
            else:
                req["acl" if ev == "GetBucketAcl" else "x"] = ""
            res = [{"accountId": account, "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::%s" % bucket}]
            extra = {"additionalEventData": {"SignatureVersion": "SigV4", "CipherSuite": "ECDHE-RSA-AES128-GCM-SHA256",
                                             "bytesTransferredIn": 0, "AuthenticationMethod": "AuthHeader",
                                             "x-amz-id-2": self.alnum(76, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"),
                                             "bytesTransferredOut": r.randrange(0, 4000)}}
            resp = None
        elif x < 0.55:
            src = "ec2.amazonaws.com"
            ev = r.choice(["RunInstances", "DescribeInstances", "CreateTags", "AuthorizeSecurityGroupIngress"])
            if ev == "RunInstances":
                req = {"instancesSet": {"items": [{"imageId": "ami-0" + self.hexs(16), "minCount": 1, "maxCount": 1}]},
                       "instanceType": r.choice(["t3.micro", "m6i.large", "c7g.xlarge"]),
                       "blockDeviceMapping": {"items": [{"deviceName": "/dev/xvda", "ebs": {"volumeSize": 30, "deleteOnTermination": True, "volumeType": "gp3", "encrypted": True}}]},
                       "tenancy": "default", "monitoring": {"enabled": False}, "disableApiTermination": False,
                       "disableApiStop": False, "clientToken": self.uuid(),
                       "networkInterfaceSet": {"items": [{"deviceIndex": 0, "subnetId": "subnet-0" + self.hexs(16),
                                                          "associatePublicIpAddress": True,
                                                          "groupSet": {"items": [{"groupId": "sg-0" + self.hexs(16)}]}}]},
                       "iamInstanceProfile": {"arn": "arn:aws:iam::%s:instance-profile/ec2-camera-gateway" % account},
                       "tagSpecificationSet": {"items": [{"resourceType": "instance", "tags": [{"key": "Name", "value": "kvs-gw-%d" % r.randrange(100)}]}]}}
                resp = {"requestId": self.uuid(), "reservationId": "r-0" + self.hexs(16), "ownerId": account,
                        "groupSet": {}, "instancesSet": {"items": [{"instanceId": "i-0" + self.hexs(16),
                            "imageId": "ami-0" + self.hexs(16), "currentInstanceBootMode": "uefi",
                            "instanceState": {"code": 0, "name": "pending"}, "privateDnsName": "ip-10-0-%d-%d.ec2.internal" % (r.randrange(256), r.randrange(256)),
                            "amiLaunchIndex": 0, "productCodes": {}, "instanceType": "t3.micro",
                            "launchTime": 1709251200000 + r.randrange(10**9),
                            "placement": {"availabilityZone": region + "a", "tenancy": "default"},
                            "monitoring": {"state": "disabled"}, "subnetId": "subnet-0" + self.hexs(16),
                            "vpcId": "vpc-0" + self.hexs(16), "privateIpAddress": "10.0.%d.%d" % (r.randrange(256), r.randrange(256)),
                            "stateReason": {"code": "pending", "message": "pending"}, "architecture": "x86_64",
                            "rootDeviceType": "ebs", "rootDeviceName": "/dev/xvda", "ebsOptimized": False,
                            "enaSupport": True, "hypervisor": "xen"}]}}
            elif ev == "DescribeInstances":
                req = {"instancesSet": {"items": [{"instanceId": "i-0" + self.hexs(16)} for _ in range(r.randrange(1, 5))]},
                       "filterSet": {"items": [{"name": "instance-state-name", "valueSet": {"items": [{"value": "running"}]}}]}}
                resp = None
            elif ev == "CreateTags":
                req = {"resourcesSet": {"items": [{"resourceId": "i-0" + self.hexs(16)}]},
                       "tagSet": {"items": [{"key": k, "value": v} for k, v in self.tags(r.randrange(1, 4)).items()]}}
                resp = {"requestId": self.uuid(), "_return": True}
            else:
                req = {"groupId": "sg-0" + self.hexs(16), "ipPermissions": {"items": [
                    {"ipProtocol": "tcp", "fromPort": p, "toPort": p, "groups": {},
                     "ipRanges": {"items": [{"cidrIp": "10.%d.0.0/16" % r.randrange(256), "description": "camera subnet"}]},
                     "ipv6Ranges": {}, "prefixListIds": {}} for p in r.sample([443, 554, 8443, 1935], 2)]}}
                resp = {"requestId": self.uuid(), "_return": True,
                        "securityGroupRuleSet": {"items": [{"groupOwnerId": account, "groupId": req["groupId"],
                                                            "securityGroupRuleId": "sgr-0" + self.hexs(16), "isEgress": False,
                                                            "ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "cidrIpv4": "10.0.0.0/16"}]}}
            extra = {}
        elif x < 0.75:
            src = "sts.amazonaws.com"
            ev = "AssumeRole"
            role = r.choice(ROLE_NAMES)
            sess = "kvs-producer-%04d" % r.randrange(10000)
            req = {"roleArn": "arn:aws:iam::%s:role/%s" % (account, role), "roleSessionName": sess,
                   "durationSeconds": r.choice([900, 3600, 43200])}
            if r.random() < 0.3:
                req["policy"] = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kinesisvideo:PutMedia", "Resource": "*"}]})
            resp = {"credentials": {"accessKeyId": "ASIA" + self.alnum(16),
                                    "sessionToken": self.alnum(r.randrange(300, 700), "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"),
                                    "expiration": "Mar 1, 2024, 1:00:00 PM"},
                    "assumedRoleUser": {"assumedRoleId": "AROA%s:%s" % (self.alnum(17), sess),
                                        "arn": "arn:aws:sts::%s:assumed-role/%s/%s" % (account, role, sess)}}
            res = [{"accountId": account, "type": "AWS::IAM::Role", "ARN": req["roleArn"]}]
            extra = {"sharedEventID": self.uuid()}
        elif x < 0.88:
            src = "iam.amazonaws.com"
            ev = r.choice(["CreatePolicy", "AttachRolePolicy", "GetRole"])
            role = r.choice(ROLE_NAMES)
            if ev == "CreatePolicy":
                doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                        "Action": ["kinesisvideo:DescribeStream", "kinesisvideo:GetDataEndpoint", "kinesisvideo:PutMedia"],
                        "Resource": "arn:aws:kinesisvideo:%s:%s:stream/*" % (region, account)}]}
                req = {"policyName": "kvs-producer-%d" % r.randrange(100), "policyDocument": json.dumps(doc, indent=4),
                       "description": "Allows camera producers to publish to KVS"}
                resp = {"policy": {"policyName": req["policyName"], "policyId": "ANPA" + self.alnum(17),
                                   "arn": "arn:aws:iam::%s:policy/%s" % (account, req["policyName"]), "path": "/",
                                   "defaultVersionId": "v1", "attachmentCount": 0, "permissionsBoundaryUsageCount": 0,
                                   "isAttachable": True, "createDate": "Mar 1, 2024, 12:00:00 PM",
                                   "updateDate": "Mar 1, 2024, 12:00:00 PM"}}
            elif ev == "AttachRolePolicy":
                req = {"roleName": role, "policyArn": "arn:aws:iam::aws:policy/AmazonKinesisVideoStreamsFullAccess"}
                resp = None
            else:
                req = {"roleName": role}
                resp = None
            extra = {}
        else:
            src = "kms.amazonaws.com"
            ev = r.choice(["Decrypt", "GenerateDataKey", "Encrypt"])
            key = self.kms_arn(region, account)
            req = {"encryptionContext": {"aws:kinesisvideo:arn": self.stream_arn(region, account, self.stream_name())},
                   "encryptionAlgorithm": "SYMMETRIC_DEFAULT"}
            if ev != "Decrypt":
                req["keyId"] = key
            if ev == "GenerateDataKey":
                req["keySpec"] = "AES_256"
            resp = None
            res = [{"accountId": account, "type": "AWS::KMS::Key", "ARN": key}]
            extra = {}
        return src, ev, req, resp, res, extra

    # ---- record -----------------------------------------------------------
    def record(self):
        r = self.r
        self.t += datetime.timedelta(milliseconds=r.randrange(1, 900))
        region = r.choice(REGIONS)
        account = r.choice(ACCOUNTS)
        ver = r.choices(["1.08", "1.09", "1.10"], weights=[4, 4, 2])[0]
        ui = self.user_identity(account, self.t)
        if ui["type"] == "AWSService":
            src_ip, ua = ui["invokedBy"], ui["invokedBy"]
        else:
            src_ip, ua = self.ip(), r.choice(USER_AGENTS)
        rec = {"eventVersion": ver, "userIdentity": ui, "eventTime": self.iso(self.t)}
        resources = None
        extra = {}
        err = None
        if r.random() < self.kvs_share:
            acts = KVS_ACTIONS
            name, _, ro = r.choices(acts, weights=[a[1] for a in acts])[0]
            req, resp, arn = self.kvs(name, region, account)
            src = "kinesisvideo.amazonaws.com"
            ev = name
            if r.random() < 0.04:
                err = r.choice([("ResourceNotFoundException", "The requested stream is not found or not active."),
                                ("AccessDeniedException", "User: %s is not authorized to perform: kinesisvideo:%s on resource: %s" % (ui.get("arn", "unknown"), name, arn)),
                                ("ClientLimitExceededException", "Rate exceeded")])
                resp = None
        else:
            src, ev, req, resp, resources, extra = self.other(region, account)
            ro = ev.startswith(("Get", "Describe", "List", "Decrypt", "GenerateDataKey"))
            if r.random() < 0.03:
                err = ("AccessDenied", "Access Denied")
                resp = None
        rec["eventSource"] = src
        rec["eventName"] = ev
        rec["awsRegion"] = region
        rec["sourceIPAddress"] = src_ip
        rec["userAgent"] = ua
        if err:
            rec["errorCode"], rec["errorMessage"] = err
        rec["requestParameters"] = req
        rec["responseElements"] = resp
        rec.update(extra)
        rec["requestID"] = self.uuid()
        rec["eventID"] = self.uuid()
        rec["readOnly"] = bool(ro)
        if resources:
            rec["resources"] = resources
        rec["eventType"] = "AwsApiCall" if ui["type"] != "AWSService" or r.random() < 0.5 else "AwsServiceEvent"
        rec["managementEvent"] = True
        rec["recipientAccountId"] = account
        if ui["type"] == "AWSService" and r.random() < 0.3:
            rec["sharedEventID"] = self.uuid()
        rec["eventCategory"] = "Management"
        if ui["type"] != "AWSService":
            tv, cs = r.choice(TLS)
            rec["tlsDetails"] = {"tlsVersion": tv, "cipherSuite": cs,
                                 "clientProvidedHostHeader": "%s.%s.amazonaws.com" % (src.split(".")[0], region)}
            if ver != "1.08" and r.random() < 0.3:
                rec["sessionCredentialFromConsole"] = "true"
        return rec


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True, help="output file ('-' for stdout, plain only)")
    ap.add_argument("--gzip", action="store_true", help="write gzip level 6 (mtime=0)")
    ap.add_argument("--kvs-share", type=float, default=0.60,
                    help="fraction of KVS records (default 0.60; 0.02: organisation-like)")
    a = ap.parse_args()
    g = Gen(a.seed)
    g.kvs_share = a.kvs_share
    enc = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True)
    if a.out == "-":
        raw = sys.stdout.buffer
        f = raw
    elif a.gzip:
        raw = open(a.out, "wb")
        f = gzip.GzipFile(filename="", mode="wb", compresslevel=6, fileobj=raw, mtime=0)
    else:
        raw = open(a.out, "wb")
        f = raw
    f.write(b'{"Records":[')
    buf = []
    for i in range(a.records):
        s = enc.encode(g.record())
        buf.append(s if i == 0 else "," + s)
        if len(buf) >= 2048:
            f.write("".join(buf).encode("ascii"))
            buf = []
    if buf:
        f.write("".join(buf).encode("ascii"))
    f.write(b"]}")
    if f is not raw:
        f.close()
    if raw is not sys.stdout.buffer:
        raw.close()


if __name__ == "__main__":
    main()

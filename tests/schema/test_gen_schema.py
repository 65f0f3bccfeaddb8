#!/usr/bin/python3
"""Unit tests of tools/kvst_gen_schema.py (stdlib unittest).

    test_gen_schema.py GENERATOR ACTIONS MODEL...

Naming rules, refusal of a model the actions file does not match, refusal
of an unknown pattern, how several models merge (shared and renamed shapes,
streaming blobs left out), determinism, and the --check exit status.
"""

import contextlib
import copy
import importlib.util
import io
import json
import os
import sys
import tempfile
import unittest

GEN, ACTIONS = sys.argv[1:3]
MODELS = sys.argv[3:]

_MISSING = [m for m in MODELS if not os.path.exists(m)]
if _MISSING:
    # meson test counts 77 as a skip: a clone without ../shared.
    print("skipped: no KVS model at %s (the shared folder is missing; "
          "set -Dshared_dir)" % ", ".join(_MISSING))
    sys.exit(77)

spec = importlib.util.spec_from_file_location("kvst_gen_schema", GEN)
gen = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gen)

LOADED = []
for _path in MODELS:
    with open(_path, encoding="utf-8") as f:
        LOADED.append((_path, json.load(f)))
REAL_MODEL = gen.merge_models(LOADED)
REAL_ACTIONS = gen.read_actions(ACTIONS)
MODEL_ARGS = [a for path in MODELS for a in ("--model", path)]


def run_main(args):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = gen.main(args)
    return rc, out.getvalue(), err.getvalue()


class Naming(unittest.TestCase):
    def test_snake(self):
        cases = {
            "DataRetentionInHours": "data_retention_in_hours",
            "APIName": "api_name",
            "StreamARN": "stream_arn",
            "KmsKeyId": "kms_key_id",
            "MaxLocalMediaSizeInMB": "max_local_media_size_in_mb",
            "CreateStreamInput": "create_stream_input",
            "ARN": "arn",
            "JPEGQuality": "jpeg_quality",
        }
        for name, want in cases.items():
            self.assertEqual(gen.snake(name), want, name)

    def test_json_name(self):
        self.assertEqual(gen.json_name("StreamName"), "streamName")
        self.assertEqual(gen.json_name("APIName"), "aPIName")
        self.assertEqual(gen.json_name("StreamARN"), "streamARN")

    def test_keywords(self):
        self.assertEqual(gen.field_name("Default"), "default_")
        self.assertEqual(gen.field_name("Class"), "class_")
        self.assertEqual(gen.field_name("StructSize"), "struct_size_")
        self.assertEqual(gen.field_name("Status"), "status")

    def test_comment_text_cannot_close_comment(self):
        self.assertNotIn("*/", gen.comment_text("a*/b"))
        self.assertNotIn("/*", gen.comment_text("a/*b"))
        self.assertNotIn("??", gen.comment_text("x??/"))

    def test_c_string(self):
        self.assertEqual(gen.c_string('a"b\\c'), '"a\\"b\\\\c"')
        self.assertEqual(gen.c_string("??="), '"\\077\\077="')


class ModelChecks(unittest.TestCase):
    def test_real_model(self):
        m = gen.Model(REAL_MODEL, REAL_ACTIONS)
        self.assertEqual(len(m.actions), 46)
        self.assertEqual(m.actions[:10], [
            "CreateStream", "DeleteStream", "DescribeStream",
            "GetDataEndpoint", "ListStreams", "ListTagsForStream",
            "TagStream", "UntagStream", "UpdateDataRetention",
            "UpdateStream"])
        self.assertEqual(m.actions[10:32], sorted(m.actions[10:32]))
        self.assertEqual(m.actions[32], "GetMedia")
        self.assertEqual(m.actions[-3:], ["PutMedia", "ConnectAsMaster",
                                          "ConnectAsViewer"])
        self.assertEqual({a.since for a in m.actions[:32]}, {"1.0"})
        self.assertEqual({a.since for a in m.actions[32:]}, {"1.1"})
        self.assertEqual(m.since_of["StreamInfo"], "1.0")
        self.assertEqual(m.since_of["GetMediaInput"], "1.1")
        self.assertEqual(m.stream_id_rule("GetMediaInput"), 1)
        self.assertEqual(m.stream_id_rule("PutMediaInput"), 1)
        self.assertEqual(m.stream_id_rule("DescribeStreamInput"), 1)
        self.assertEqual(m.stream_id_rule("CreateStreamInput"), 0)
        self.assertEqual(m.stream_id_rule("DeleteStreamInput"), 0)
        # StreamInfo has both members but is no operation's input.
        self.assertEqual(m.stream_id_rule("StreamInfo"), 0)

    def test_operation_missing_from_actions(self):
        with self.assertRaisesRegex(gen.GenError, "TagResource"):
            gen.Model(REAL_MODEL, [a for a in REAL_ACTIONS if a != "TagResource"])

    def test_actions_name_unknown_operation(self):
        with self.assertRaisesRegex(gen.GenError, "DescribeNothing"):
            gen.Model(REAL_MODEL, REAL_ACTIONS + ["DescribeNothing"])

    def test_unknown_pattern(self):
        model = copy.deepcopy(REAL_MODEL)
        model["shapes"]["StreamName"]["pattern"] = "[a-z]{3}"
        with self.assertRaisesRegex(gen.GenError, r"StreamName.*\[a-z\]\{3\}"):
            gen.Model(model, REAL_ACTIONS)

    def test_unknown_type(self):
        model = copy.deepcopy(REAL_MODEL)
        model["shapes"]["DataEndpoint"]["type"] = "blob"
        with self.assertRaisesRegex(gen.GenError, "DataEndpoint.*blob"):
            gen.Model(model, REAL_ACTIONS)

    def test_field_collision(self):
        model = copy.deepcopy(REAL_MODEL)
        members = model["shapes"]["DeleteStreamInput"]["members"]
        members["StreamArn"] = {"shape": "ResourceARN"}
        with self.assertRaisesRegex(gen.GenError, "stream_arn"):
            gen.Model(model, REAL_ACTIONS)

    def test_new_types_and_appended_action(self):
        """long, double and a new operation appended at the end."""
        model = copy.deepcopy(REAL_MODEL)
        model["shapes"]["Ratio"] = {"type": "double", "min": 0, "max": 1}
        model["shapes"]["Big"] = {"type": "long", "max": 9007199254740993}
        model["shapes"]["FrobInput"] = {
            "type": "structure", "required": ["Ratio"],
            "members": {"Ratio": {"shape": "Ratio"}, "Size": {"shape": "Big"},
                        "Default": {"shape": "StreamName"}}}
        model["operations"]["Frob"] = {"name": "Frob",
                                       "input": {"shape": "FrobInput"}}
        m = gen.Model(model, REAL_ACTIONS + [gen.Action("Frob", "1.1")])
        header, source = gen.gen_header(m, "test"), gen.gen_source(m, "test")
        self.assertIn("#define KVST_ACTION_FROB", header)
        self.assertIn(" %du /* Frob. Since 1.1 */" % (len(REAL_ACTIONS) + 1), header)
        self.assertIn(" 32u /* UpdateStreamStorageConfiguration. Since 1.0 */",
                      header)
        self.assertIn("#define KVST_ACTION__COUNT %du" % (len(REAL_ACTIONS) + 2), header)
        self.assertIn("kvst_value default_; /* \"default\"", header)
        self.assertIn("KVST_TYPE_DOUBLE", source)
        self.assertIn(".max = 9007199254740993", source)
        self.assertIn("&s_frob_input, NULL}", source)


class ActionsFile(unittest.TestCase):
    def parse(self, text):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "actions.txt")
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            return gen.read_actions(path)

    def test_comments_and_since(self):
        got = self.parse("# c\nCreateStream\n\nFrob 1.1  # new\n")
        self.assertEqual(got, ["CreateStream", "Frob"])
        self.assertEqual([a.since for a in got], ["1.0", "1.1"])

    def test_refusals(self):
        for text in ("CreateStream\nCreateStream\n", "createStream\n",
                     "Frob one\n", "Frob 1.1 x\n"):
            with self.assertRaises(gen.GenError, msg=text):
                self.parse(text)


class Merge(unittest.TestCase):
    def test_shared_and_renamed_shapes(self):
        shapes = REAL_MODEL["shapes"]
        ops = REAL_MODEL["operations"]
        # the same definition under the same name: one shape
        self.assertEqual(ops["GetClip"]["input"]["shape"], "GetClipInput")
        self.assertEqual(shapes["GetClipInput"]["members"]["StreamName"]["shape"],
                         "StreamName")
        self.assertEqual(shapes["PutMediaInput"]["members"]["StreamARN"]["shape"],
                         "ResourceARN")
        # another definition under a control-plane name: renamed
        self.assertEqual(shapes["GetImagesInput"]["members"]["NextToken"]["shape"],
                         "KinesisVideoArchivedMediaNextToken")
        self.assertEqual(shapes["NextToken"]["max"], 1024)
        self.assertEqual(shapes["KinesisVideoArchivedMediaNextToken"]["max"], 4096)
        # signaling's ARN says what media's renamed one says: shared
        self.assertEqual(
            shapes["GetIceServerConfigRequest"]["members"]["ChannelARN"]["shape"],
            "KinesisVideoMediaResourceARN")
        self.assertNotIn("KinesisVideoSignalingResourceARN", shapes)
        # the video itself is never in a record
        self.assertEqual(list(shapes["GetMediaOutput"]["members"]), ["ContentType"])
        self.assertNotIn("Payload", shapes)
        self.assertNotIn("documentation", shapes["StreamName"])

    def test_operation_in_two_models(self):
        with self.assertRaisesRegex(gen.GenError, "GetMedia is in an earlier"):
            gen.merge_models(LOADED + [LOADED[1]])

    def test_unrenameable_conflict(self):
        other = copy.deepcopy(LOADED[1][1])
        del other["metadata"]["serviceId"]
        other["operations"] = {"GetMedia2": other["operations"]["GetMedia"]}
        with self.assertRaisesRegex(gen.GenError, "ResourceARN differs"):
            gen.merge_models(LOADED[:1] + [("other.json", other)])

    def test_blob_that_is_not_media(self):
        other = copy.deepcopy(LOADED[1][1])
        other["shapes"]["Payload"]["streaming"] = False
        with self.assertRaisesRegex(gen.GenError, "blob"):
            gen.Model(gen.merge_models(LOADED[:1] + [("m.json", other)]),
                      REAL_ACTIONS[:33])


class Output(unittest.TestCase):
    def test_deterministic(self):
        self.assertEqual(gen.generate(MODELS, ACTIONS), gen.generate(MODELS, ACTIONS))

    def test_check_exit_status(self):
        header, source = gen.generate(MODELS, ACTIONS)
        with tempfile.TemporaryDirectory() as tmp:
            h = os.path.join(tmp, "kvs_model.h")
            c = os.path.join(tmp, "kvs_schema.c")
            args = MODEL_ARGS + ["--actions", ACTIONS, "--header", h,
                                 "--source", c]
            self.assertEqual(run_main(args)[0], 0)
            with open(h, encoding="utf-8") as f:
                self.assertEqual(f.read(), header)
            self.assertEqual(run_main(args + ["--check"])[0], 0)
            with open(c, "a", encoding="utf-8") as f:
                f.write("/* edited by hand */\n")
            rc, out, err = run_main(args + ["--check"])
            self.assertEqual(rc, 1)
            self.assertIn("+++ %s (regenerated)" % c, out)
            self.assertIn("-/* edited by hand */", out)
            self.assertIn("out of date", err)
            os.unlink(h)
            self.assertEqual(run_main(args + ["--check"])[0], 1)

    def test_bad_actions_file_exit_status(self):
        with tempfile.TemporaryDirectory() as tmp:
            actions = os.path.join(tmp, "actions.txt")
            with open(actions, "w", encoding="utf-8") as f:
                f.write("\n".join(REAL_ACTIONS[:-1]) + "\n")
            rc, _, err = run_main(MODEL_ARGS + ["--actions", actions,
                                   "--header", os.path.join(tmp, "h"),
                                   "--source", os.path.join(tmp, "c")])
            self.assertEqual(rc, 2)
            self.assertIn(REAL_ACTIONS[-1], err)
            self.assertFalse(os.path.exists(os.path.join(tmp, "h")))


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1])

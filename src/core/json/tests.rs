//! Tests of the JSON value, parser and writer.

use super::parse::MAX_DEPTH;
use super::*;

#[test]
fn lenient_numbers() {
    assert_eq!(Json::from("45.50").as_number_lenient(), Some(45.5));
    assert_eq!(Json::from(" 7 % ").as_number_lenient(), Some(7.0));
    assert_eq!(Json::from("NaN").as_number_lenient(), None);
    assert_eq!(Json::from("abc").as_number_lenient(), None);
    assert_eq!(Json::Bool(true).as_number_lenient(), None);
}

#[test]
fn text_of_ids() {
    assert_eq!(Json::Number(42.0).to_text().as_deref(), Some("42"));
    assert_eq!(Json::from("a").to_text().as_deref(), Some("a"));
    assert_eq!(Json::Null.to_text(), None);
}

#[test]
fn set_replaces_or_appends() {
    let mut o = Json::object([("a", Json::Null)]);
    o.set("a", Json::Bool(true));
    o.set("b", Json::Number(1.0));
    assert_eq!(o.get("a"), Some(&Json::Bool(true)));
    assert_eq!(o.get("b"), Some(&Json::Number(1.0)));
}
fn p(s: &str) -> Json {
    parse(s).unwrap_or_else(|e| panic!("{s:?}: {e:?}"))
}

#[test]
fn parses_every_kind_of_value() {
    assert_eq!(p("null"), Json::Null);
    assert_eq!(p(" true "), Json::Bool(true));
    assert_eq!(p("\tfalse\r\n"), Json::Bool(false));
    assert_eq!(p("0"), Json::Number(0.0));
    assert_eq!(p("-12.5e1"), Json::Number(-125.0));
    assert_eq!(p(r#""a\"b""#), Json::from("a\"b"));
    assert_eq!(p("[]"), Json::Array(vec![]));
    assert_eq!(p("{}"), Json::Object(vec![]));
    assert_eq!(
        p(r#" { "a" : [1, {"b": null}], "c": "d" } "#),
        Json::object([
            (
                "a",
                Json::Array(vec![Json::Number(1.0), Json::object([("b", Json::Null)])])
            ),
            ("c", Json::from("d")),
        ])
    );
}

#[test]
fn string_escapes() {
    assert_eq!(
        p(r#""\"\\\/\b\f\n\r\t""#),
        Json::from("\"\\/\u{8}\u{c}\n\r\t")
    );
    assert_eq!(p(r#""\u00e9\u4e2D""#), Json::from("é中"));
    assert_eq!(p(r#""\ud83d\ude00""#), Json::from("😀"));
    assert_eq!(p("\"😀 raw\""), Json::from("😀 raw"));
    // Lone surrogates become U+FFFD; what follows is kept.
    assert_eq!(p(r#""\ud83dx""#), Json::from("\u{FFFD}x"));
    assert_eq!(p(r#""\ude00""#), Json::from("\u{FFFD}"));
    assert_eq!(p(r#""\ud83d\u0041""#), Json::from("\u{FFFD}A"));
    assert_eq!(p(r#""\ud83d\ud83d\ude00""#), Json::from("\u{FFFD}😀"));
    assert_eq!(p(r#""\u0000""#), Json::from("\0"));
}

#[test]
fn numbers() {
    let cases: &[(&str, f64)] = &[
        ("0", 0.0),
        ("-0", 0.0),
        ("1", 1.0),
        ("0.1", 0.1),
        ("45.50", 45.5),
        ("1e3", 1000.0),
        ("1E+3", 1000.0),
        ("25e-1", 2.5),
        ("9007199254740991", 9_007_199_254_740_991.0),
        ("123456789.123456", 123_456_789.123_456),
        ("1.7976931348623157e308", f64::MAX),
        ("2.2250738585072014e-308", f64::MIN_POSITIVE),
        ("5e-324", 5e-324),
        ("1e-400", 0.0),
        ("0.000000000000000000000000000001", 1e-30),
        ("12345678901234567890123", 1.234_567_890_123_456_8e22),
        ("1.00000000000000000000000000000000000001", 1.0),
        ("0e99999999999999999999", 0.0),
    ];
    for &(s, want) in cases {
        assert_eq!(p(s), Json::Number(want), "{s}");
        assert_eq!(Ok(want), s.parse::<f64>().map_err(|_| ()), "{s}");
    }
    assert!(p("-0").as_f64().unwrap().is_sign_negative());
}

#[test]
fn rejects_what_rfc8259_rejects() {
    for bad in [
        "",
        " ",
        "nul",
        "tru",
        "True",
        "NaN",
        "Infinity",
        "-",
        "+1",
        "01",
        "-01",
        "1.",
        ".5",
        "1e",
        "1e+",
        "0x1",
        "1 2",
        "[1,]",
        "[,1]",
        "{\"a\":1,}",
        "{a:1}",
        "{'a':1}",
        "{\"a\" 1}",
        "{\"a\":}",
        "[1",
        "{",
        "\"abc",
        "\"\\x\"",
        "\"\\u12\"",
        "\"\\u12g4\"",
        "\"a\nb\"",
        "\"\t\"",
        "[]]",
        "{}x",
        "1e400",
        "-1e400",
        "\u{feff}1",
        "//",
        "[1 2]",
        "\"\\",
        "\"\\u",
    ] {
        assert!(parse(bad).is_err(), "{bad:?} was accepted");
    }
}

#[test]
fn errors_carry_an_offset() {
    let e = parse("[1, 2 x]").unwrap_err();
    assert_eq!(e.offset, 6);
    assert_eq!(e.message, "expected ',' or ']'");
    assert_eq!(parse("1 x").unwrap_err().offset, 2);
    assert_eq!(parse("[1e999]").unwrap_err().offset, 1);
}

#[test]
fn duplicate_keys_last_wins_in_first_position() {
    assert_eq!(
        p(r#"{"a":1,"b":2,"a":3}"#),
        Json::object([("a", Json::Number(3.0)), ("b", Json::Number(2.0))])
    );
}

#[test]
fn depth_limit() {
    let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
    assert!(parse(&ok).is_ok());
    let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
    assert_eq!(parse(&deep).unwrap_err().message, "JSON nested too deeply");
    let objects = "{\"a\":".repeat(MAX_DEPTH + 1) + "1" + &"}".repeat(MAX_DEPTH + 1);
    assert!(parse(&objects).is_err());
    // Very deep input fails fast without exhausting the stack.
    assert!(parse(&"[".repeat(1_000_000)).is_err());
}

#[test]
fn serializes_compactly_with_escapes() {
    let v = Json::object([
        ("s", Json::from("q\"b\\n\n\t\u{1}\u{1f}é😀</")),
        (
            "n",
            Json::Array(vec![
                Json::Number(1.0),
                Json::Number(-0.5),
                Json::Number(1e21),
                Json::Number(f64::NAN),
            ]),
        ),
        ("b", Json::Bool(false)),
        ("z", Json::Null),
    ]);
    assert_eq!(
        v.to_json_string(),
        r#"{"s":"q\"b\\n\n\t\u0001\u001fé😀</","n":[1,-0.5,1e+21,null],"b":false,"z":null}"#
    );
    assert_eq!(parse(&v.to_json_string()).unwrap().get("s"), v.get("s"));
}

#[test]
fn round_trips() {
    for s in [
        r#"{"a":[1,2.5,-3e-7,"x"],"b":{"c":null,"d":true}}"#,
        r#""\u0000\u001f""#,
        "0.30000000000000004",
        "[1.7976931348623157e+308,5e-324]",
    ] {
        let v = p(s);
        assert_eq!(p(&v.to_json_string()), v, "{s}");
    }
}

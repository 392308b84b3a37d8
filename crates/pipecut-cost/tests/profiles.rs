//! Measured profiles: the recorded sample of `tools/profile_torch.py`, CSV
//! parsing, and errors that name the line and field.

use std::path::{Path, PathBuf};

use pipecut_core::{CostModel, LayerKind};
use pipecut_cost::{chain_from_csv, chain_to_csv, load_chain, CostError, ProfileFile};

fn data(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(file)
}

#[test]
fn loads_the_recorded_profile_sample() {
    let chain = load_chain(&data("profile_sample.json")).unwrap();
    assert_eq!((chain.name(), chain.unit(), chain.len()), ("demo", "s", 7));
    let names: Vec<&str> = chain.layers().iter().map(|l| l.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "tok_embeddings",
            "layers.0",
            "layers.1",
            "layers.2",
            "layers.3",
            "norm",
            "output"
        ]
    );
    let kinds: Vec<LayerKind> = chain.layers().iter().map(|l| l.kind).collect();
    assert_eq!(kinds[0], LayerKind::Input);
    assert!(kinds[1..5].iter().all(|k| *k == LayerKind::Block));
    assert_eq!(&kinds[5..], [LayerKind::Output, LayerKind::Output]);
    // Demo model: embedding 2048 x 256, block = attention 4 x 256^2 + two
    // norms 2 x 256 + FFN 2 x 256 x 1024, head 256 x 2048; 16 bytes each.
    let block_params = 4 * 256 * 256 + 2 * 256 + 2 * 256 * 1024;
    assert_eq!(chain.layers()[0].param_bytes, 2048 * 256 * 16);
    assert_eq!(chain.layers()[1].param_bytes, block_params * 16);
    // fp32 activations of 1 x 128 x 256 cross every boundary; the loss is a scalar.
    assert!(chain.layers()[..6]
        .iter()
        .all(|l| l.output_bytes == 128 * 256 * 4));
    assert_eq!(chain.layers()[6].output_bytes, 4);
    assert_eq!(chain.layers()[1].forward, 0.0064515680005570175);
    // The measured weight-gradient op: all of the embedding's backward (its
    // input is token ids), part of every other layer's.
    let l = chain.layers();
    assert!(!chain.assumes_backward_split());
    assert_eq!(l[0].backward_weight, Some(l[0].backward));
    assert!(l[1..]
        .iter()
        .all(|l| 0.0 < l.backward_weight() && l.backward_weight() < l.backward));

    // The CSV version of the same profile, in milliseconds, is the same chain
    // apart from its name (the file stem).
    let csv = load_chain(&data("profile_sample.csv")).unwrap();
    assert_eq!(csv.name(), "profile_sample");
    assert_eq!(csv.layers(), chain.layers());
    assert_eq!(csv.unit(), "s");

    let model = ProfileFile {
        path: data("profile_sample.json"),
    };
    assert_eq!(model.name(), "profile_sample");
    assert_eq!(model.chain().unwrap(), chain);
}

#[test]
fn load_chain_rejects_unknown_extensions_and_missing_files() {
    assert!(matches!(
        load_chain(Path::new("chain.toml")),
        Err(CostError::UnknownFormat { .. })
    ));
    assert!(matches!(
        load_chain(&data("missing.json")),
        Err(CostError::Io { path, .. }) if path.ends_with("missing.json")
    ));
}

const HEADER: &str = "name,kind,forward_ms,backward_ms,param_bytes,activation_bytes,output_bytes";

fn field_error(text: &str) -> (usize, String, String) {
    match chain_from_csv(text).unwrap_err() {
        CostError::CsvField {
            line, field, value, ..
        } => (line, field, value),
        other => panic!("expected a field error, got {other:?}"),
    }
}

#[test]
fn bad_rows_name_their_line_and_field() {
    let good = "a,block,1,2,3,4,5";
    let cases = [
        ("x,block,abc,2,0,0,0", "forward_ms", "abc"),
        ("x,block,1,-2,0,0,0", "backward_ms", "-2"),
        ("x,block,1,NaN,0,0,0", "backward_ms", "NaN"),
        ("x,block,1,inf,0,0,0", "backward_ms", "inf"),
        ("x,blok,1,2,0,0,0", "kind", "blok"),
        ("x,block,1,2,-1,0,0", "param_bytes", "-1"),
        ("x,block,1,2,0,1.5,0", "activation_bytes", "1.5"),
        (
            "x,block,1,2,0,0,18446744073709551616",
            "output_bytes",
            "18446744073709551616",
        ),
        (",block,1,2,0,0,0", "name", ""),
        ("a,block,1,2,0,0,0", "name", "a"),
        ("x,block,1,2,0,0", "row", "6 fields"),
        ("\"x,block,1,2,0,0,0", "row", "x,block,1,2,0,0,0\n"),
    ];
    for (row, field, value) in cases {
        // Line 1 comment, 2 header, 3 good row, 4 blank, 5 the bad row.
        let text = format!("# measured on an H100\n{HEADER}\n{good}\n\n{row}\n");
        let (line, got_field, got_value) = field_error(&text);
        assert_eq!(
            (line, got_field.as_str(), got_value.as_str()),
            (5, field, value),
            "{row}"
        );
    }
    let dup = chain_from_csv(&format!("{HEADER}\n{good}\n{good}\n")).unwrap_err();
    assert!(
        dup.to_string().contains("line 3") && dup.to_string().contains("first on line 2"),
        "{dup}"
    );
    let err = chain_from_csv(&format!("{HEADER}\n{good}\n\"b\"x,block,1,2,0,0,0\n")).unwrap_err();
    assert!(err.to_string().contains("line 3"), "{err}");
    let msg = chain_from_csv(&format!("{HEADER}\nx,block,1,zz,0,0,0\n"))
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("line 2") && msg.contains("backward_ms") && msg.contains("zz"),
        "{msg}"
    );
}

#[test]
fn bad_headers_and_metadata() {
    for (text, line) in [
        ("", 1),
        ("# only a comment\n", 1),
        ("name,kind,forward_ms\nx,block,1\n", 1),
        ("# c\nname,kind,forward_ms,backward_ms,param_bytes,activation_bytes,output_bytes,flops\n", 2),
        ("name,name,forward_ms,backward_ms,param_bytes,activation_bytes,output_bytes\n", 1),
    ] {
        match chain_from_csv(text) {
            Err(CostError::CsvHeader { line: got, .. }) => assert_eq!(got, line, "{text:?}"),
            other => panic!("{text:?}: {other:?}"),
        }
    }
    // Header only: a chain needs a layer.
    assert!(matches!(
        chain_from_csv(&format!("{HEADER}\n")),
        Err(CostError::Chain(pipecut_core::Error::EmptyChain { .. }))
    ));
    let (line, field, _) = field_error(&format!("# name: unquoted\n{HEADER}\na,block,1,2,,,\n"));
    assert_eq!((line, field.as_str()), (1, "name"));
}

#[test]
fn metadata_sets_name_and_unit_and_units_convert() {
    let text = format!("# name: \"m, \\\"q\\\"\"\n#unit: \"us\"\n{HEADER}\na,,1.5,2,,,\n");
    let chain = chain_from_csv(&text).unwrap();
    assert_eq!(chain.name(), "m, \"q\"");
    assert_eq!(chain.unit(), "us");
    // 1.5 ms = 1500 us.
    assert_eq!(chain.layers()[0].forward, 1500.0);
    assert_eq!(chain_from_csv(&chain_to_csv(&chain)).unwrap(), chain);
    // Non-time units keep the numbers as written.
    let flops = chain_from_csv(&format!(
        "# unit: \"flop\"\n{HEADER}\na,block,1e12,2e12,,,\n"
    ))
    .unwrap();
    assert_eq!(flops.layers()[0].backward, 2e12);
    assert!(chain_to_csv(&flops).contains("a,block,1000000000000,2000000000000,0,0,0"));
}

/// Found by the CSV round-trip property: a chain name holding CSV syntax
/// (a comma, quotes) broke the `# name:` line, which must be read whole.
#[test]
fn metadata_lines_are_not_csv_syntax() {
    let layers = pipecut_testkit::chain(&[(0.5, 1.0)]).layers().to_vec();
    for name in [",", "a,\"b\"", "\""] {
        let chain = pipecut_core::Chain::new(name, "s", layers.clone()).unwrap();
        let back = chain_from_csv(&chain_to_csv(&chain)).unwrap();
        assert_eq!(back, chain, "name {name:?}");
    }
    // An indented comment is read whole too, quotes and commas included.
    let text = format!("  # measured, \"warm\n\t# unit: \"ms\"\n{HEADER}\na,block,1,2,,,\n");
    let chain = chain_from_csv(&text).unwrap();
    assert_eq!((chain.unit(), chain.layers()[0].forward), ("ms", 1.0));
}

/// Spaces after a closing quote are dropped like those around unquoted
/// fields; before an opening quote they are an error (a quote opens a field
/// only as its first character).
#[test]
fn spaces_around_quoted_fields() {
    let text = format!("{HEADER}\n\"a, b\"  ,block,\"1\" ,2,,,\r\n\"c d\" \t,block,1,2,,,\n");
    let chain = chain_from_csv(&text).unwrap();
    let names: Vec<&str> = chain.layers().iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["a, b", "c d"]);
    // A quoted field may hold a line break, but a layer name may not.
    let text = format!("{HEADER}\n\"c \r\n\",block,1,2,,,\n");
    let err = chain_from_csv(&text).unwrap_err().to_string();
    assert!(
        err.contains("`name`") && err.contains("control characters"),
        "{err}"
    );
    let text = format!("{HEADER}\na,block,1,2,,,\n  \"b\",block,1,2,,,\n");
    let (line, field, value) = field_error(&text);
    assert_eq!(
        (line, field.as_str(), value.as_str()),
        (3, "row", "  \"b\"")
    );
}

const WEIGHT_HEADER: &str =
    "name,kind,forward_ms,backward_ms,backward_weight_ms,param_bytes,activation_bytes,output_bytes";

#[test]
fn backward_weight_column_round_trips_and_is_optional() {
    // Empty cells leave the split to the default; the column may sit anywhere.
    let text = format!(
        "# unit: \"s\"\n{WEIGHT_HEADER}\na,input,1,2,2,,,\nb,block,3,6,2.5,,,\nc,output,1,4,,,,\n"
    );
    let chain = chain_from_csv(&text).unwrap();
    let weights: Vec<Option<f64>> = chain.layers().iter().map(|l| l.backward_weight).collect();
    assert_eq!(weights, [Some(0.002), Some(0.0025), None]);
    assert_eq!(chain.layers()[2].backward_weight(), 0.002);
    let written = chain_to_csv(&chain);
    assert!(
        written.contains(&format!("{WEIGHT_HEADER}\na,input,1,2,2,0,0,0\n")),
        "{written}"
    );
    assert!(written.contains("\nc,output,1,4,,0,0,0\n"), "{written}");
    assert_eq!(chain_from_csv(&written).unwrap(), chain);
    let moved = "backward_weight_ms,name,kind,forward_ms,backward_ms,param_bytes,activation_bytes,output_bytes\n0.5,a,,1,2,,,\n";
    assert_eq!(
        chain_from_csv(moved).unwrap().layers()[0].backward_weight,
        Some(0.0005)
    );

    // Without the column, or with it empty everywhere: nothing stated, and
    // the writer keeps the seven-column format.
    for text in [
        format!("{HEADER}\na,block,1,2,,,\n"),
        format!("{WEIGHT_HEADER}\na,block,1,2,,,,\n"),
    ] {
        let chain = chain_from_csv(&text).unwrap();
        assert_eq!(chain.layers()[0].backward_weight, None);
        assert!(chain.assumes_backward_split());
        let written = chain_to_csv(&chain);
        assert!(
            written.contains(&format!("{HEADER}\na,block,1,2,0,0,0\n")),
            "{written}"
        );
        assert_eq!(chain_from_csv(&written).unwrap(), chain);
    }

    // Analytic chains state the split on every layer and keep it through CSV.
    let chain =
        pipecut_cost::build_chain(&pipecut_cost::ModelOptions::preset("llama3-8b")).unwrap();
    let back = chain_from_csv(&chain_to_csv(&chain)).unwrap();
    assert!(!back.assumes_backward_split());
    assert_eq!(back, chain);
}

#[test]
fn bad_backward_weights_name_their_line_and_field() {
    let good = "a,block,1,2,1,3,4,5";
    for (row, value, reason) in [
        ("x,block,1,2,-0.5,0,0,0", "-0.5", ">= 0"),
        ("x,block,1,2,2.5,0,0,0", "2.5", "at most backward_ms (`2`)"),
        ("x,block,1,2,abc,0,0,0", "abc", "finite decimal"),
        ("x,block,1,2,inf,0,0,0", "inf", "finite decimal"),
    ] {
        // Line 1 comment, 2 header, 3 good row, 4 the bad row.
        let text = format!("# measured\n{WEIGHT_HEADER}\n{good}\n{row}\n");
        let err = chain_from_csv(&text).unwrap_err();
        let msg = err.to_string();
        match err {
            CostError::CsvField {
                line,
                field,
                value: got,
                ..
            } => assert_eq!(
                (line, field.as_str(), got.as_str()),
                (4, "backward_weight_ms", value),
                "{row}"
            ),
            other => panic!("{row}: {other:?}"),
        }
        assert!(msg.contains(reason) && msg.contains("line 4"), "{msg}");
    }
    // A weight part equal to the whole backward is fine (the embedding's).
    let chain = chain_from_csv(&format!("{WEIGHT_HEADER}\na,input,1,2,2,,,\n")).unwrap();
    assert_eq!(chain.layers()[0].backward_input(), 0.0);
    // The column may appear once only.
    assert!(matches!(
        chain_from_csv(&format!("{WEIGHT_HEADER},backward_weight_ms\n")),
        Err(CostError::CsvHeader { line: 1, .. })
    ));
}

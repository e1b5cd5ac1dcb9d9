//! The layering. The compiler holds the big line: the domains are the `hunar-core` crate,
//! which cannot name the edge (`src/`), and must not depend on an HTTP server (checked here
//! from `Cargo.lock`). Inside the core, read from the code's own imports: no file may reach,
//! through its imports, back to itself. A circle means two rooms each need the other, and
//! every change to one starts in both.
//!
//! Each `.rs` file is a module; an edge goes from a file to the module file that holds what a
//! `use` line or an inline `crate::…`/`super::…` path names. A `pub use` re-export is a facade,
//! not a dependency of the re-exporting file: paths through it are followed to where the item
//! lives. A test module (`#[cfg(test)]` before `mod`, to the end of the file) is left out.
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type ModPath = Vec<String>;

struct Source {
    file: String,
    module: ModPath,
    /// (path as written, made absolute; is it a `pub use`)
    uses: Vec<(ModPath, bool)>,
}

fn module_of(src: &Path, file: &Path) -> ModPath {
    let rel = file.strip_prefix(src).unwrap_or(file);
    let mut parts: ModPath = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code without comments, string contents and test modules.
fn code_of(text: &str) -> String {
    let test_module = text
        .match_indices("#[cfg(test)]")
        .find(|(at, attr)| text[at + attr.len()..].trim_start().starts_with("mod "));
    let text = match test_module {
        Some((at, _)) => &text[..at],
        None => text,
    };
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '"' => {
                out.push('"');
                while let Some(c) = chars.next() {
                    if c == '\\' {
                        chars.next();
                    } else if c == '"' {
                        break;
                    }
                }
                out.push('"');
            }
            // A char literal ('"', '\'') would otherwise open a string; a lifetime stays.
            '\'' => {
                let mut ahead = chars.clone();
                match (ahead.next(), ahead.next()) {
                    (Some('\\'), _) => {
                        chars.next();
                        chars.next();
                        for c in chars.by_ref() {
                            if c == '\'' {
                                break;
                            }
                        }
                    }
                    (Some(_), Some('\'')) => {
                        chars.next();
                        chars.next();
                    }
                    _ => out.push(c),
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// Expands a use tree (`a::{b, c::{d, e}}`) into its leaf paths.
fn expand(tree: &str, prefix: &[String], out: &mut Vec<ModPath>) {
    let tree = tree.trim();
    if tree.is_empty() {
        return;
    }
    if let Some(open) = tree.find('{') {
        let head: Vec<String> = tree[..open]
            .split("::")
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect();
        let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
        let mut base = prefix.to_vec();
        base.extend(head);
        let (mut depth, mut start) = (0, 0);
        for (i, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    expand(&inner[start..i], &base, out);
                    start = i + 1;
                }
                _ => {}
            }
        }
        expand(&inner[start..], &base, out);
    } else {
        // `a::b as c` is the path `a::b`; a re-export by another name is known by `c`.
        let (path, alias) = match tree.split_once(" as ") {
            Some((path, alias)) => (path, Some(alias.trim())),
            None => (tree, None),
        };
        let mut full = prefix.to_vec();
        full.extend(
            path.split("::")
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from),
        );
        // `use a::{self}` names `a` itself.
        if full.last().is_some_and(|s| s == "self") {
            full.pop();
        }
        if let Some(alias) = alias.filter(|a| *a != "_") {
            full.push(format!("{ALIAS}{alias}"));
        }
        out.push(full);
    }
}

/// Marks the last segment of an expanded path as the name it is imported under.
const ALIAS: &str = "as:";

/// The path without its alias marker, and the name it is known by.
fn split_alias(path: &[String]) -> (&[String], Option<&str>) {
    match path.split_last() {
        Some((last, rest)) if last.starts_with(ALIAS) => (rest, Some(&last[ALIAS.len()..])),
        _ => (path, path.last().map(String::as_str)),
    }
}

fn absolute(path: &[String], module: &[String], modules: &BTreeSet<ModPath>) -> Option<ModPath> {
    let first = path.first()?;
    let mut base: ModPath = match first.as_str() {
        "crate" => Vec::new(),
        "self" => module.to_vec(),
        "super" => {
            let mut m = module.to_vec();
            let mut rest = path;
            while rest.first().is_some_and(|s| s == "super") {
                m.pop();
                rest = &rest[1..];
            }
            m.extend(rest.iter().cloned());
            return Some(m);
        }
        // A child module named without `self::` (2018 paths), else another crate.
        _ => {
            let mut child = module.to_vec();
            child.push(first.clone());
            if !modules.contains(&child) {
                return None;
            }
            let mut m = module.to_vec();
            m.extend(path.iter().cloned());
            return Some(m);
        }
    };
    base.extend(path[1..].iter().cloned());
    Some(base)
}

fn parse(src: &Path, file: &Path, modules: &BTreeSet<ModPath>) -> Source {
    let module = module_of(src, file);
    let code = code_of(&std::fs::read_to_string(file).unwrap_or_default());
    let mut uses = Vec::new();
    // `use` statements (they may span lines).
    let mut rest = code.as_str();
    while let Some(at) = rest.find("use ") {
        let before = &rest[..at];
        let is_statement = before
            .chars()
            .last()
            .is_none_or(|c| c.is_whitespace() || c == ';' || c == '{' || c == '}');
        let is_pub = before.trim_end().ends_with("pub") || before.trim_end().ends_with(')');
        let after = &rest[at + 4..];
        let Some(end) = after.find(';') else { break };
        if is_statement {
            let mut leaves = Vec::new();
            expand(&after[..end], &[], &mut leaves);
            for leaf in leaves {
                if let Some(abs) = absolute(&leaf, &module, modules) {
                    uses.push((abs, is_pub));
                }
            }
            rest = &after[end + 1..];
        } else {
            rest = after;
        }
    }
    // Inline paths in the code: `crate::a::b(…)`, `super::x`.
    for start in ["crate::", "super::"] {
        let mut rest = code.as_str();
        while let Some(at) = rest.find(start) {
            let preceded_by_ident = rest[..at]
                .chars()
                .last()
                .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':');
            let tail = &rest[at..];
            let len = tail
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(tail.len());
            if !preceded_by_ident {
                let segments: ModPath = tail[..len]
                    .split("::")
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect();
                if let Some(abs) = absolute(&segments, &module, modules) {
                    uses.push((abs, false));
                }
            }
            rest = &tail[len.max(1)..];
        }
    }
    Source {
        file: file
            .strip_prefix(src.parent().unwrap_or(src))
            .unwrap_or(file)
            .display()
            .to_string(),
        module,
        uses,
    }
}

/// The module that holds what `path` names, following `pub use` re-exports.
fn holder(
    path: &[String],
    modules: &BTreeSet<ModPath>,
    reexports: &BTreeMap<(ModPath, String), ModPath>,
    depth: usize,
) -> ModPath {
    let mut m: ModPath = Vec::new();
    for (i, segment) in path.iter().enumerate() {
        let mut next = m.clone();
        next.push(segment.clone());
        if modules.contains(&next) {
            m = next;
            continue;
        }
        if depth < 8
            && let Some(target) = reexports.get(&(m.clone(), segment.clone()))
        {
            let mut redirected = target.clone();
            redirected.extend(path[i + 1..].iter().cloned());
            return holder(&redirected, modules, reexports, depth + 1);
        }
        break;
    }
    m
}

fn import_graph() -> (
    BTreeMap<ModPath, String>,
    BTreeMap<ModPath, BTreeSet<ModPath>>,
) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/hunar-core/src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() > 20, "expected the sources under {src:?}");
    let modules: BTreeSet<ModPath> = files.iter().map(|f| module_of(&src, f)).collect();
    let sources: Vec<Source> = files.iter().map(|f| parse(&src, f, &modules)).collect();
    let mut reexports = BTreeMap::new();
    for s in &sources {
        for (path, is_pub) in &s.uses {
            let (target, name) = split_alias(path);
            if *is_pub && let Some(name) = name {
                reexports.insert((s.module.clone(), name.to_string()), target.to_vec());
            }
        }
    }
    let mut edges: BTreeMap<ModPath, BTreeSet<ModPath>> = BTreeMap::new();
    for s in &sources {
        let out = edges.entry(s.module.clone()).or_default();
        for (path, is_pub) in &s.uses {
            if *is_pub {
                continue;
            }
            let to = holder(split_alias(path).0, &modules, &reexports, 0);
            // The crate root only declares the modules.
            if to != s.module && !to.is_empty() {
                out.insert(to);
            }
        }
    }
    let names = sources.into_iter().map(|s| (s.module, s.file)).collect();
    (names, edges)
}

/// Every circle, as the files in order.
fn cycles(edges: &BTreeMap<ModPath, BTreeSet<ModPath>>) -> Vec<Vec<ModPath>> {
    // Tarjan's strongly connected components; any component of more than one file is a circle.
    struct Walk<'a> {
        edges: &'a BTreeMap<ModPath, BTreeSet<ModPath>>,
        index: BTreeMap<ModPath, usize>,
        low: BTreeMap<ModPath, usize>,
        stack: Vec<ModPath>,
        on_stack: BTreeSet<ModPath>,
        found: Vec<Vec<ModPath>>,
    }
    fn visit(w: &mut Walk<'_>, v: &ModPath) {
        let i = w.index.len();
        w.index.insert(v.clone(), i);
        w.low.insert(v.clone(), i);
        w.stack.push(v.clone());
        w.on_stack.insert(v.clone());
        for u in w.edges.get(v).cloned().unwrap_or_default() {
            if !w.index.contains_key(&u) {
                visit(w, &u);
                let low = w.low[v].min(w.low[&u]);
                w.low.insert(v.clone(), low);
            } else if w.on_stack.contains(&u) {
                let low = w.low[v].min(w.index[&u]);
                w.low.insert(v.clone(), low);
            }
        }
        if w.low[v] == w.index[v] {
            let mut component = Vec::new();
            while let Some(u) = w.stack.pop() {
                w.on_stack.remove(&u);
                let done = &u == v;
                component.push(u);
                if done {
                    break;
                }
            }
            if component.len() > 1 {
                component.reverse();
                w.found.push(component);
            }
        }
    }
    let mut walk = Walk {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in edges.keys() {
        if !walk.index.contains_key(v) {
            visit(&mut walk, v);
        }
    }
    walk.found
}

#[test]
fn no_import_circle_in_the_core() {
    let (files, edges) = import_graph();
    let found = cycles(&edges);
    let described: Vec<String> = found
        .iter()
        .map(|component| {
            let mut lines = Vec::new();
            for m in component {
                let targets: Vec<&str> = edges[m]
                    .iter()
                    .filter(|t| component.contains(t))
                    .map(|t| files[t].as_str())
                    .collect();
                lines.push(format!("  {} → {}", files[m], targets.join(", ")));
            }
            lines.join("\n")
        })
        .collect();
    assert!(
        found.is_empty(),
        "import circles in crates/hunar-core/src/ (each block: files that reach each other):\n{}",
        described.join("\n\n")
    );
}

#[test]
fn the_checker_sees_a_circle() {
    // The checker itself must be able to fail.
    let m = |s: &str| -> ModPath { s.split("::").map(String::from).collect() };
    let mut edges = BTreeMap::new();
    edges.insert(m("a"), BTreeSet::from([m("b")]));
    edges.insert(m("b"), BTreeSet::from([m("c")]));
    edges.insert(m("c"), BTreeSet::from([m("a")]));
    edges.insert(m("d"), BTreeSet::from([m("a")]));
    assert_eq!(cycles(&edges), vec![vec![m("a"), m("b"), m("c")]]);

    let modules: BTreeSet<ModPath> = [m("orders"), m("orders::state"), m("payments")].into();
    let mut leaves = Vec::new();
    expand(
        "crate::{orders::{self, state::Change}, payments as p}",
        &[],
        &mut leaves,
    );
    let holders: Vec<ModPath> = leaves
        .iter()
        .map(|l| {
            holder(
                &absolute(l, &m("x"), &modules).unwrap_or_default(),
                &modules,
                &BTreeMap::new(),
                0,
            )
        })
        .collect();
    assert_eq!(
        holders,
        vec![m("orders"), m("orders::state"), m("payments")]
    );
}

/// Every package `name` depends on, itself included, as `Cargo.lock` resolves them.
fn dependency_closure(lock: &str, name: &str) -> BTreeSet<String> {
    let mut deps: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for package in lock.split("[[package]]").skip(1) {
        let field = |key: &str| {
            package
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .map(|v| v.trim().trim_matches('"').to_string())
        };
        let Some(package_name) = field("name = ") else {
            continue;
        };
        let list = package
            .split_once("dependencies = [")
            .map(|(_, rest)| rest.split(']').next().unwrap_or_default())
            .unwrap_or_default();
        // An entry is `"name"` or `"name version"` when two versions are locked.
        let names = list
            .split(',')
            .filter_map(|d| d.trim().trim_matches('"').split(' ').next())
            .filter(|d| !d.is_empty())
            .map(String::from)
            .collect();
        deps.entry(package_name)
            .or_default()
            .extend::<Vec<String>>(names);
    }
    let mut seen = BTreeSet::new();
    let mut todo = vec![name.to_string()];
    while let Some(next) = todo.pop() {
        if seen.insert(next.clone()) {
            todo.extend(deps.get(&next).cloned().unwrap_or_default());
        }
    }
    seen
}

#[test]
fn the_core_depends_on_no_http_server() {
    let lock = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.lock"))
        .expect("Cargo.lock");
    let core = dependency_closure(&lock, "hunar-core");
    assert!(
        core.contains("sea-orm") && core.contains("lettre"),
        "{core:?}"
    );
    let servers: Vec<&String> = core
        .iter()
        .filter(|p| p.starts_with("actix") || p.starts_with("utoipa-actix") || p == &"axum")
        .collect();
    assert!(servers.is_empty(), "hunar-core depends on {servers:?}");
    // The check can fail: the edge does depend on actix.
    assert!(dependency_closure(&lock, "hunar").contains("actix-web"));
}

#[test]
fn pages_and_handlers_reach_the_database_only_through_the_core() {
    let mut files = Vec::new();
    let edge = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    rust_files(&edge.join("web"), &mut files);
    assert!(files.len() > 20, "expected the pages under {edge:?}");
    for file in files {
        let text = code_of(&std::fs::read_to_string(&file).unwrap_or_default());
        assert!(
            !text.contains("sea_orm::") && !text.contains("entity::"),
            "{} reaches the database directly",
            file.display()
        );
    }
}

/// Functions in `text` (already through `code_of`) longer than `max` lines: (name, line, length).
fn long_functions(text: &str, max: usize) -> Vec<(String, usize, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    for (at, line) in lines.iter().enumerate() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let Some(fn_at) = words.iter().position(|w| *w == "fn") else {
            continue;
        };
        // `fn` as an item (after `pub`, `async`, `const`, `unsafe` or nothing), not `Fn(`.
        let item = words[..fn_at]
            .iter()
            .all(|w| w.starts_with("pub") || matches!(*w, "async" | "const" | "unsafe" | "extern"));
        if !item {
            continue;
        }
        let name = words
            .get(fn_at + 1)
            .map(|w| w.split(['(', '<']).next().unwrap_or_default().to_string())
            .unwrap_or_default();
        let mut depth = 0i32;
        let mut opened = false;
        for (offset, body) in lines[at..].iter().enumerate() {
            for c in body.chars() {
                match c {
                    '{' => {
                        depth += 1;
                        opened = true;
                    }
                    '}' => depth -= 1,
                    _ => {}
                }
            }
            if !opened && body.trim_end().ends_with(';') {
                break;
            }
            if opened && depth == 0 {
                if offset + 1 > max {
                    found.push((name.clone(), at + 1, offset + 1));
                }
                break;
            }
        }
    }
    found
}

/// The code's own rooms stay small enough to read whole: no source file over 600 lines and
/// no function over 100, in the edge and the core (tests and migrations are scenarios and
/// declarations, and are not held to it).
#[test]
fn no_file_over_600_lines_and_no_function_over_100() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    rust_files(&root.join("crates/hunar-core/src"), &mut files);
    assert!(
        files.len() > 100,
        "expected the sources, found {}",
        files.len()
    );
    let mut too_long = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        let name = file
            .strip_prefix(root)
            .unwrap_or(file)
            .display()
            .to_string();
        let lines = text.lines().count();
        if lines > 600 {
            too_long.push(format!("{name}: {lines} lines"));
        }
        for (function, at, length) in long_functions(&code_of(&text), 100) {
            too_long.push(format!("{name}:{at}: fn {function} is {length} lines"));
        }
    }
    assert!(too_long.is_empty(), "too long:\n{}", too_long.join("\n"));
}

#[test]
fn the_length_check_sees_a_long_function() {
    let body = "    let x = 1;\n".repeat(100);
    let long = format!("pub async fn long(a: u8) -> u8 {{\n{body}}}\nfn short() {{}}\n");
    assert_eq!(
        long_functions(&long, 100),
        vec![("long".to_string(), 1, 102)]
    );
    let fine = format!("fn fine() {{\n{}}}\n", "    let x = 1;\n".repeat(98));
    assert!(long_functions(&fine, 100).is_empty());
    // A closure's type is not a function.
    assert!(long_functions("type F = Box<dyn Fn(u8) -> u8>;\n", 0).is_empty());
}

/// The core's layers, lowest first (docs/ARCHITECTURE.md draws them): a module belongs to the
/// layer of the longest prefix listed. The orders' state machine and what it stands on sit
/// below payments, notifications and the ledger, which react to what it changed; the orders'
/// use cases (placing, a coordinator's actions, expiry, the views) sit above them.
const LAYERS: &[&[&str]] = &[
    &[
        "db",
        "error",
        "money",
        "validate",
        "country",
        "pagination",
        "config",
        "files",
        "markup",
        "client",
        "audit",
        "orders::reference",
        // Sealing personal data: below everything that stores it.
        "vault",
    ],
    &["media"],
    // An artwork's photos (media::images) are the catalog's, stored through media.
    &["catalog", "auth", "organisation", "media::images"],
    // The orders' state machine and what it stands on; the artist's account follows a change
    // through `orders::state::Accounts`, which the ledger implements.
    &[
        "orders::state",
        "orders::status",
        "orders::tokens",
        "orders::error",
        "orders::idempotency",
        "orders::turns",
        "orders::reservation",
        "orders::carriers",
        // Messages to an artist carry their page's link.
        "artist_page::link",
    ],
    &["payments", "notifications", "ledger"],
    // The use cases: placing and running orders, signing in (which may alert by email).
    &["orders", "auth::service", "auth::accounts", "artist_page"],
    &["seed", "backup", "storage", "services", "gauges"],
];

fn layer_of(module: &ModPath) -> Option<usize> {
    let name = module.join("::");
    LAYERS
        .iter()
        .enumerate()
        .flat_map(|(layer, prefixes)| prefixes.iter().map(move |p| (layer, *p)))
        .filter(|(_, p)| name == *p || name.starts_with(&format!("{p}::")))
        .max_by_key(|(_, p)| p.len())
        .map(|(layer, _)| layer)
}

/// Imports from a lower layer up to a higher one: each is a place where the lower room knows
/// of the higher. A few are allowed while they are named here; more fail.
#[test]
fn at_most_six_imports_run_up_the_layers() {
    let (files, edges) = import_graph();
    let mut up = Vec::new();
    for (from, targets) in &edges {
        let Some(low) = layer_of(from) else {
            assert!(
                from.is_empty(),
                "{} is in no layer: add it to LAYERS",
                files[from]
            );
            continue;
        };
        for to in targets {
            if layer_of(to).is_some_and(|high| high > low) {
                up.push(format!("{} → {}", files[from], files[to]));
            }
        }
    }
    assert!(
        up.len() <= 6,
        "{} imports run up the layers (at most 6):\n{}",
        up.len(),
        up.join("\n")
    );
}

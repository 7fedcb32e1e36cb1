//! Outside HTML as a tree: html5ever's tree builder (the parser browsers'
//! rules are written for, the one the sanitizer uses) building into a flat
//! arena, so reading a body into the document schema walks real elements
//! the way a browser would have placed them (a `<p>` closed by a `<table>`,
//! stray `</b>`s, unclosed cells), never a regular expression's guess.

use std::borrow::Cow;
use std::cell::{Ref, RefCell};

use html5ever::tendril::{StrTendril, TendrilSink};
use html5ever::tree_builder::{ElementFlags, NodeOrText, QuirksMode, TreeSink};
use html5ever::{Attribute, QualName, local_name, ns};

/// Index of a node in the arena.
pub type NodeId = usize;

pub enum NodeKind {
    /// The fragment's root and the elements under it.
    Element {
        name: QualName,
        attrs: Vec<Attribute>,
    },
    Text(String),
    /// Comments, processing instructions, template contents: no words.
    Other,
}

pub struct Node {
    pub kind: NodeKind,
    pub parent: Option<NodeId>,
    pub children: Vec<NodeId>,
}

/// A parsed fragment. Node 0 is the document, node 1 the `html` element
/// the fragment's nodes are children of.
pub struct Dom {
    nodes: Vec<Node>,
}

impl Dom {
    /// Parses `html` as the contents of a `<div>`, as a browser does when a
    /// page sets an element's innerHTML. Callers bound the nesting first
    /// (`nesting::check`): whoever walks the tree may recurse.
    pub fn parse(html: &str) -> Dom {
        let sink = Arena {
            nodes: RefCell::new(vec![Node {
                kind: NodeKind::Other,
                parent: None,
                children: Vec::new(),
            }]),
        };
        let parser = html5ever::parse_fragment(
            sink,
            Default::default(),
            QualName::new(None, ns!(html), local_name!("div")),
            vec![],
            false,
        );
        parser.one(StrTendril::from_slice(html))
    }

    /// The nodes a body consists of (the children of the fragment's root).
    pub fn top(&self) -> &[NodeId] {
        self.nodes[0]
            .children
            .first()
            .map(|&root| self.nodes[root].children.as_slice())
            .unwrap_or(&[])
    }

    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id]
    }

    /// The element's local name ("p", "td"), or None for text and others.
    pub fn name(&self, id: NodeId) -> Option<&str> {
        match &self.nodes[id].kind {
            NodeKind::Element { name, .. } if name.ns == ns!(html) => Some(&name.local),
            NodeKind::Element { name, .. } => Some(&name.local),
            _ => None,
        }
    }

    pub fn attr(&self, id: NodeId, attr: &str) -> Option<&str> {
        match &self.nodes[id].kind {
            NodeKind::Element { attrs, .. } => attrs
                .iter()
                .find(|a| &*a.name.local == attr)
                .map(|a| &*a.value),
            _ => None,
        }
    }

    /// Whether the element's class list holds `class`.
    pub fn has_class(&self, id: NodeId, class: &str) -> bool {
        self.attr(id, "class")
            .is_some_and(|c| c.split_ascii_whitespace().any(|c| c == class))
    }

    pub fn children(&self, id: NodeId) -> &[NodeId] {
        &self.nodes[id].children
    }

    /// Every piece of text under `id`, in order (scripts and styles hold
    /// none: see `Reader`).
    pub fn text(&self, id: NodeId) -> String {
        let mut out = String::new();
        let mut stack = vec![id];
        while let Some(at) = stack.pop() {
            match &self.nodes[at].kind {
                NodeKind::Text(t) => out.push_str(t),
                NodeKind::Element { name, .. } if hides_its_text(&name.local) => {}
                _ => stack.extend(self.nodes[at].children.iter().rev()),
            }
        }
        out
    }
}

/// Elements whose content is never shown as text: code run or styles
/// applied by a browser, or markup a browser does not show.
pub fn hides_its_text(name: &str) -> bool {
    matches!(
        name,
        "script" | "style" | "template" | "noscript" | "title" | "head" | "meta" | "link"
    )
}

struct Arena {
    nodes: RefCell<Vec<Node>>,
}

impl Arena {
    fn push(&self, kind: NodeKind) -> NodeId {
        let mut nodes = self.nodes.borrow_mut();
        nodes.push(Node {
            kind,
            parent: None,
            children: Vec::new(),
        });
        nodes.len() - 1
    }

    fn detach(&self, id: NodeId) {
        let mut nodes = self.nodes.borrow_mut();
        if let Some(parent) = nodes[id].parent.take() {
            nodes[parent].children.retain(|&c| c != id);
        }
    }

    /// Adds a child at `position` of `parent`, joining text to a text
    /// node just before it, as the DOM does.
    fn insert(&self, parent: NodeId, position: usize, child: NodeOrText<NodeId>) {
        match child {
            NodeOrText::AppendText(text) => {
                let mut nodes = self.nodes.borrow_mut();
                if position > 0 {
                    let before = nodes[parent].children[position - 1];
                    if let NodeKind::Text(existing) = &mut nodes[before].kind {
                        existing.push_str(&text);
                        return;
                    }
                }
                drop(nodes);
                let id = self.push(NodeKind::Text(text.to_string()));
                let mut nodes = self.nodes.borrow_mut();
                nodes[id].parent = Some(parent);
                nodes[parent].children.insert(position, id);
            }
            NodeOrText::AppendNode(id) => {
                self.detach(id);
                let mut nodes = self.nodes.borrow_mut();
                nodes[id].parent = Some(parent);
                let position = position.min(nodes[parent].children.len());
                nodes[parent].children.insert(position, id);
            }
        }
    }
}

/// Names the tree builder asks for of nodes that are not elements.
static NO_NAME: std::sync::LazyLock<QualName> =
    std::sync::LazyLock::new(|| QualName::new(None, ns!(html), html5ever::LocalName::from("")));

pub struct NameRef<'a>(Ref<'a, Vec<Node>>, NodeId);

impl std::fmt::Debug for NameRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "element {}", self.1)
    }
}

impl html5ever::interface::ElemName for NameRef<'_> {
    fn ns(&self) -> &html5ever::Namespace {
        match &self.0[self.1].kind {
            NodeKind::Element { name, .. } => &name.ns,
            _ => &NO_NAME.ns,
        }
    }
    fn local_name(&self) -> &html5ever::LocalName {
        match &self.0[self.1].kind {
            NodeKind::Element { name, .. } => &name.local,
            _ => &NO_NAME.local,
        }
    }
}

impl TreeSink for Arena {
    type Handle = NodeId;
    type Output = Dom;
    type ElemName<'a> = NameRef<'a>;

    fn finish(self) -> Dom {
        Dom {
            nodes: self.nodes.into_inner(),
        }
    }

    fn parse_error(&self, _: Cow<'static, str>) {}

    fn get_document(&self) -> NodeId {
        0
    }

    fn elem_name<'a>(&'a self, target: &'a NodeId) -> NameRef<'a> {
        NameRef(self.nodes.borrow(), *target)
    }

    fn create_element(&self, name: QualName, attrs: Vec<Attribute>, _: ElementFlags) -> NodeId {
        self.push(NodeKind::Element { name, attrs })
    }

    fn create_comment(&self, _: StrTendril) -> NodeId {
        self.push(NodeKind::Other)
    }

    fn create_pi(&self, _: StrTendril, _: StrTendril) -> NodeId {
        self.push(NodeKind::Other)
    }

    fn append(&self, parent: &NodeId, child: NodeOrText<NodeId>) {
        let end = self.nodes.borrow()[*parent].children.len();
        self.insert(*parent, end, child);
    }

    fn append_based_on_parent_node(
        &self,
        element: &NodeId,
        prev_element: &NodeId,
        child: NodeOrText<NodeId>,
    ) {
        if self.nodes.borrow()[*element].parent.is_some() {
            self.append_before_sibling(element, child);
        } else {
            self.append(prev_element, child);
        }
    }

    fn append_doctype_to_document(&self, _: StrTendril, _: StrTendril, _: StrTendril) {}

    fn get_template_contents(&self, _target: &NodeId) -> NodeId {
        // A template's contents are never shown: they go to a node of no
        // words that is not in the tree.
        self.push(NodeKind::Other)
    }

    fn same_node(&self, x: &NodeId, y: &NodeId) -> bool {
        x == y
    }

    fn set_quirks_mode(&self, _: QuirksMode) {}

    fn append_before_sibling(&self, sibling: &NodeId, new_node: NodeOrText<NodeId>) {
        let (parent, position) = {
            let nodes = self.nodes.borrow();
            let Some(parent) = nodes[*sibling].parent else {
                return;
            };
            let position = nodes[parent]
                .children
                .iter()
                .position(|c| c == sibling)
                .unwrap_or(0);
            (parent, position)
        };
        if let NodeOrText::AppendNode(id) = &new_node
            && self.nodes.borrow()[*id].parent == Some(parent)
        {
            // Moving within the same parent: find the place after detaching.
            self.detach(*id);
            let position = self.nodes.borrow()[parent]
                .children
                .iter()
                .position(|c| c == sibling)
                .unwrap_or(0);
            self.insert(parent, position, new_node);
            return;
        }
        self.insert(parent, position, new_node);
    }

    fn add_attrs_if_missing(&self, target: &NodeId, new: Vec<Attribute>) {
        let mut nodes = self.nodes.borrow_mut();
        if let NodeKind::Element { attrs, .. } = &mut nodes[*target].kind {
            for attr in new {
                if !attrs.iter().any(|a| a.name == attr.name) {
                    attrs.push(attr);
                }
            }
        }
    }

    fn remove_from_parent(&self, target: &NodeId) {
        self.detach(*target);
    }

    fn reparent_children(&self, node: &NodeId, new_parent: &NodeId) {
        let mut nodes = self.nodes.borrow_mut();
        let children = std::mem::take(&mut nodes[*node].children);
        for &child in &children {
            nodes[child].parent = Some(*new_parent);
        }
        nodes[*new_parent].children.extend(children);
    }
}

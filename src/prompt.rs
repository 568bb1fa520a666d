//! Prompt templates from `prompts/` (minijinja, German), compiled into the binary.
//!
//! Each template has a `system` block that does not depend on the request — it stays a fixed
//! token prefix, so the engine's prefix cache covers it — and a `user` block for the request.
//! The sha256 of the template source is stored with every draft, so a result can always be
//! traced to the exact prompt that produced it.

use sha2::{Digest, Sha256};

use crate::llm::ChatMessage;

#[derive(Debug, thiserror::Error)]
#[error("prompt template {name}: {source}")]
pub struct PromptError {
    name: &'static str,
    source: minijinja::Error,
}

#[derive(Debug, Clone, Copy)]
pub struct PromptTemplate {
    pub name: &'static str,
    source: &'static str,
}

impl PromptTemplate {
    pub const DRAFT: PromptTemplate = PromptTemplate { name: "draft", source: include_str!("../prompts/draft.j2") };
    pub const REVIEW: PromptTemplate = PromptTemplate { name: "review", source: include_str!("../prompts/review.j2") };

    pub fn sha256(&self) -> String {
        format!("{:x}", Sha256::digest(self.source.as_bytes()))
    }

    /// The system and user messages for one request.
    pub fn messages(&self, context: minijinja::Value) -> Result<Vec<ChatMessage>, PromptError> {
        let err = |source| PromptError { name: self.name, source };
        let mut env = minijinja::Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        env.add_template(self.name, self.source).map_err(err)?;
        let template = env.get_template(self.name).map_err(err)?;
        let mut rendered = template.render_captured(context).map_err(err)?;
        let (system, user) = rendered
            .with_state_mut(|state| Ok((state.render_block("system")?, state.render_block("user")?)))
            .map_err(err)?;
        Ok(vec![ChatMessage::system(system), ChatMessage::user(user)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_block_is_a_fixed_prefix_and_user_block_carries_the_dictation() {
        let a = PromptTemplate::DRAFT.messages(minijinja::context! { dictation => "Antrag A", clause => "A" }).unwrap();
        let b = PromptTemplate::DRAFT.messages(minijinja::context! { dictation => "Antrag B", clause => "B" }).unwrap();
        assert_eq!(a[0], b[0]);
        assert!(a[0].content.starts_with("Du hilfst, Diktate"), "{}", a[0].content);
        assert!(a[0].content.ends_with("task Friedhofsgärtnerei: Grab abräumen"), "{}", a[0].content);
        assert_eq!(a[1].content, "Diktat: Antrag A\nAbschnitt: A\nAntwort:");
        let clause_alone =
            PromptTemplate::DRAFT.messages(minijinja::context! { dictation => "", clause => "A" }).unwrap();
        assert_eq!((&clause_alone[0], clause_alone[1].content.as_str()), (&a[0], "Abschnitt: A\nAntwort:"));
        assert_eq!(PromptTemplate::DRAFT.sha256().len(), 64);
        assert!(
            PromptTemplate::DRAFT.messages(minijinja::context! {}).is_err(),
            "strict: dictation and clause are required"
        );
    }
}

"""E-mail templates, in Spanish and English (the municipality's locale picks one)."""

from __future__ import annotations

from dataclasses import dataclass
from string import Template


@dataclass(frozen=True)
class EmailTemplate:
    subject: Template
    body: Template


TEMPLATES: dict[str, dict[str, EmailTemplate]] = {
    "milestone.delayed": {
        "es": EmailTemplate(
            Template("[$municipality] Hito demorado: $milestone"),
            Template(
                "Hola:\n\nEl hito «$milestone» del compromiso $commitment_code «$commitment» "
                "del plan «$plan» está demorado: debía terminar el $end_date y su avance "
                "es $percent %.\n\nActualicen su avance o su plazo en Usina.\n"
            ),
        ),
        "en": EmailTemplate(
            Template("[$municipality] Milestone delayed: $milestone"),
            Template(
                'Hello,\n\nThe milestone "$milestone" of commitment $commitment_code '
                '"$commitment" in the plan "$plan" is delayed: it was due on $end_date '
                "and its progress is $percent %.\n\nPlease update its progress or its dates "
                "in Usina.\n"
            ),
        ),
    },
    "plan.digest": {
        "es": EmailTemplate(
            Template("[$municipality] Resumen semanal del plan «$plan»"),
            Template(
                "Hola:\n\nResumen de la semana $week del plan «$plan»:\n\n"
                "- Avance del plan: $progress %\n- Compromisos: $commitments\n"
                "- Hitos completados: $completed de $milestones\n- Hitos demorados: $delayed\n"
                "\n$lines\n"
            ),
        ),
        "en": EmailTemplate(
            Template('[$municipality] Weekly digest of the plan "$plan"'),
            Template(
                'Hello,\n\nDigest of week $week of the plan "$plan":\n\n'
                "- Plan progress: $progress %\n- Commitments: $commitments\n"
                "- Milestones completed: $completed of $milestones\n- Milestones delayed: "
                "$delayed\n\n$lines\n"
            ),
        ),
    },
    "proposal.answered": {
        "es": EmailTemplate(
            Template("[$municipality] Su propuesta recibió respuesta: $proposal"),
            Template(
                "Hola:\n\nLa propuesta «$proposal», que usted $relation en «$channel» del "
                "plan «$plan», recibió una respuesta razonada.\n\n$outcome\n\n"
                "La respuesta:\n$response\n\n--\nRecibe este aviso por su participación. "
                "Para no recibir más avisos: $unsubscribe_url\n"
            ),
        ),
        "en": EmailTemplate(
            Template("[$municipality] Your proposal was answered: $proposal"),
            Template(
                'Hello,\n\nThe proposal "$proposal", which you $relation in "$channel" of '
                'the plan "$plan", received a reasoned response.\n\n$outcome\n\n'
                "The response:\n$response\n\n--\nYou receive this notice because you took "
                "part. To receive no more notices: $unsubscribe_url\n"
            ),
        ),
    },
    "participant.confirm_email": {
        "es": EmailTemplate(
            Template("[$municipality] Confirme su correo electrónico"),
            Template(
                "Hola:\n\nAlguien pidió recibir en esta dirección los avisos de su "
                "participación en $municipality. Para confirmarlo, abra este enlace:\n"
                "$confirm_url\n\nSi no fue usted, ignore este mensaje: no recibirá nada más.\n"
            ),
        ),
        "en": EmailTemplate(
            Template("[$municipality] Confirm your e-mail address"),
            Template(
                "Hello,\n\nSomeone asked for the notices of their participation in "
                "$municipality to be sent to this address. To confirm, open this link:\n"
                "$confirm_url\n\nIf it was not you, ignore this message: nothing else will "
                "be sent.\n"
            ),
        ),
    },
}


def render(name: str, locale: str, values: dict[str, object]) -> tuple[str, str]:
    template = TEMPLATES[name].get(locale) or TEMPLATES[name]["en"]
    fields = {k: str(v) for k, v in values.items()}
    return template.subject.substitute(fields), template.body.substitute(fields)

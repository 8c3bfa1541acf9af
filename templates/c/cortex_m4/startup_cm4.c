/*
 * Minimal Cortex-M4 startup for bare-metal tests and benchmarks (qemu mps2-an386 or a board):
 * the vector table, .data copy, .bss clear, newlib semihosting I/O, main(), exit().
 * Link with mps2_an386.ld, `--specs=rdimon.specs -nostartfiles -lrdimon`: rdimon gives printf and
 * exit() over ARM semihosting (qemu: -semihosting), and -nostartfiles drops newlib's crt0, which
 * has no M-profile vector table.
 */
#include <stdint.h>
#include <stdlib.h>

extern uint32_t __data_start__, __data_end__, __data_load__, __bss_start__, __bss_end__;
extern uint32_t __stack_top, __stack_limit;
extern int main(void);
extern void initialise_monitor_handles(void);

void Reset_Handler(void);
uint32_t dsg_stack_paint(void);
uint32_t dsg_stack_lowest(void);
void Default_Handler(void);
void _init(void);
void _fini(void);

/* -nostartfiles also drops crti.o, which would provide these for newlib's init/fini arrays. */
void _init(void) {}
void _fini(void) {}

void Default_Handler(void)
{
    /* A fault: leave through semihosting so a test does not hang until its timeout. */
    exit(99);
}

void Reset_Handler(void)
{
    uint32_t *src = &__data_load__, *dst = &__data_start__;
    while (dst < &__data_end__) *dst++ = *src++;
    for (dst = &__bss_start__; dst < &__bss_end__;) *dst++ = 0;
    initialise_monitor_handles();
    exit(main());
}

/* Stack high-water mark: dsg_stack_paint() fills the free stack, from the stack limit up to the
 * caller's SP, with a pattern and returns that SP; after the code under test has run,
 * dsg_stack_lowest() is the lowest address it wrote, so their difference is the stack that code
 * used (its frames, its callees', their scratch arrays).  Naked, so that the SP it reads and
 * paints up to is exactly the caller's. */
#define DSG_STACK_PATTERN 0xC5C5C5C5u

__attribute__((naked)) uint32_t dsg_stack_paint(void)
{
    __asm__ volatile("ldr r1, =__stack_limit\n\t"
                     "ldr r2, =0xC5C5C5C5\n\t"
                     "1: cmp r1, sp\n\t"
                     "bhs 2f\n\t"
                     "str r2, [r1], #4\n\t"
                     "b 1b\n\t"
                     "2: mov r0, sp\n\t"
                     "bx lr\n\t"
                     ".ltorg");
}

uint32_t dsg_stack_lowest(void)
{
    const uint32_t *p = &__stack_limit;
    while (*p == DSG_STACK_PATTERN) ++p;
    return (uint32_t)(uintptr_t)p;
}

/* Initial SP, reset, then NMI, HardFault, MemManage, BusFault, UsageFault. */
__attribute__((section(".vectors"), used)) void (*const dsg_vectors[16])(void) = {
    (void (*)(void))(uintptr_t)&__stack_top,
    Reset_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
};
